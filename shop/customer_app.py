from oscar.apps.customer import apps

# Oscar's account pages a program customer has no use for: an address book (nothing is
# shipped), product alerts (one program, always available) and a notifications inbox
# (the site writes by email, kept under "Emails received"). Their URLs are left out, so
# no link or guessed address leads to them.
PAGES_NOT_OFFERED = ("address-", "alert", "notifications")


class CustomerConfig(apps.CustomerConfig):
    """Oscar's customer app, its sign-up views limited per address (shop.signup), its order
    history reading each order's payments and its pages named in the menu's words
    (shop.accounts.views), and without the pages in PAGES_NOT_OFFERED; the app
    is not forked, so its models and migrations stay Oscar's."""

    def ready(self):
        super().ready()
        # Here, not at the top: Oscar's views import models, loaded only once apps are ready.
        from shop import signup
        from shop.accounts import views

        self.login_view = signup.AccountAuthView
        self.register_view = signup.AccountRegistrationView
        self.order_history_view = views.OrderHistoryView
        self.email_list_view = views.EmailsReceivedView
        self.change_password_view = views.ChangePasswordView
        self.profile_update_view = views.ProfileUpdateView

    def get_urls(self):
        return [
            pattern
            for pattern in super().get_urls()
            if not (pattern.name or "").startswith(PAGES_NOT_OFFERED)
            # Oscar's unnamed redirect to the notifications inbox.
            and not str(pattern.pattern).startswith("notifications")
        ]
