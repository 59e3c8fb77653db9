"""The emails' screens in Wagtail's admin: the outbox."""

from wagtail import hooks

from shop.emails.backoffice import OutboxViewSet


@hooks.register("register_admin_viewset")
def register_outbox():
    return OutboxViewSet()
