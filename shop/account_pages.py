"""Oscar's account pages under the names the account menu gives them, in the site's words."""

from oscar.apps.customer import views


class OrderHistoryView(views.OrderHistoryView):
    page_title = "Order history"


class EmailsReceivedView(views.EmailHistoryView):
    page_title = "Emails received"


class ChangePasswordView(views.ChangePasswordView):
    page_title = "Change password"


class ProfileUpdateView(views.ProfileUpdateView):
    page_title = "Edit profile"
