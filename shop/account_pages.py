"""Oscar's account pages under the names the account menu gives them, in the site's words
(the order history is shop.accounts.views.OrderHistoryView)."""

from oscar.apps.customer import views


class EmailsReceivedView(views.EmailHistoryView):
    page_title = "Emails received"


class ChangePasswordView(views.ChangePasswordView):
    page_title = "Change password"


class ProfileUpdateView(views.ProfileUpdateView):
    page_title = "Edit profile"
