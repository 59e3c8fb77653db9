"""The billing's pages in Wagtail's admin: customers' programs, disputes and the emails sent,
and the programs offered by the CMS's own search."""

from django.urls import reverse
from wagtail import hooks
from wagtail.admin.search import SearchArea

from shop.billing.backoffice import CustomerProgramViewSet, EmailsSentViewSet
from shop.billing.dispute_backoffice import EVIDENCE_SENT_ACTION, DisputeViewSet
from shop.billing.plan_actions import ACTIONS


@hooks.register("register_admin_viewset")
def register_customer_programs():
    return CustomerProgramViewSet()


@hooks.register("register_admin_viewset")
def register_disputes():
    return DisputeViewSet()


@hooks.register("register_admin_viewset")
def register_emails_sent():
    return EmailsSentViewSet()


class CustomerProgramsSearchArea(SearchArea):
    def is_shown(self, request):
        return request.user.has_perm("billing.view_installmentplan")


@hooks.register("register_admin_search_area")
def customer_programs_search_area():
    # An email typed into the sidebar's search finds the customer's program from there.
    return CustomerProgramsSearchArea(
        "Customers' programs",
        reverse("programs:index"),
        name="customers-programs",
        icon_name="user",
        order=50,
    )


@hooks.register("register_log_actions")
def plan_action_log_actions(actions):
    # The author's actions on a program and on a dispute, as the CMS's history lists them.
    for action, terms in ACTIONS.items():
        actions.register_action(f"billing.{action}", terms.title, terms.title)
    actions.register_action(
        "billing.email_resend", "Send an email again", "Email sent again to another address"
    )
    actions.register_action(
        EVIDENCE_SENT_ACTION, "Dispute evidence sent to Stripe", "Dispute evidence sent to Stripe"
    )
