from oscar.apps.customer import apps


class CustomerConfig(apps.CustomerConfig):
    """Oscar's customer app, its sign-up views limited per address (shop.signup) and its
    order history reading each order's payments (shop.accounts.views); the app is not
    forked, so its models and migrations stay Oscar's."""

    def ready(self):
        super().ready()
        # Here, not at the top: Oscar's views import models, loaded only once apps are ready.
        from shop import signup
        from shop.accounts.views import OrderHistoryView

        self.login_view = signup.AccountAuthView
        self.register_view = signup.AccountRegistrationView
        self.order_history_view = OrderHistoryView
