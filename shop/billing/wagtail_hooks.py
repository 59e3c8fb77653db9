"""The billing's pages in Wagtail's admin: customers' programs and the emails sent."""

from wagtail import hooks

from shop.billing.backoffice import CustomerProgramViewSet, EmailsSentViewSet


@hooks.register("register_admin_viewset")
def register_customer_programs():
    return CustomerProgramViewSet()


@hooks.register("register_admin_viewset")
def register_emails_sent():
    return EmailsSentViewSet()
