"""The shop's emails in Wagtail's admin: their texts, edited by the author."""

from wagtail import hooks

from shop.dashboard.communications.backoffice import PlanEmailViewSet


@hooks.register("register_admin_viewset")
def register_plan_emails():
    return PlanEmailViewSet()
