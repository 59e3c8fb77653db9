"""Disputes in the CMS (Shop → Disputes, /cms/disputes/): every disputed payment, those
still to answer first by their deadline and the overdue flagged; one page per dispute with
all its evidence, the evidence as one PDF, and "Send the evidence to Stripe", asked and
confirmed, for those who may (``billing.submit_dispute_evidence``)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.views.defaults import permission_denied
from django.views.generic import TemplateView
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.generic import IndexView, InspectView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.log_actions import log

from shop import gateway
from shop.backoffice.menus import SHOP_MENU_HOOK
from shop.backoffice.screens import ListingNamed
from shop.billing.backoffice import ReadOnlyViewSet
from shop.billing.dispute_pdf import dispute_pdf
from shop.billing.disputes import (
    OPEN_FOR_EVIDENCE,
    EvidenceNotSent,
    dispute_evidence,
    dispute_evidence_submit,
    dispute_overdue,
    dispute_refusal,
    money,
    reason_label,
    status_label,
)
from shop.billing.models import Dispute

LISTING = "Disputes"
VIEW_PERMISSION = "billing.view_dispute"
SUBMIT_PERMISSION = "billing.submit_dispute_evidence"
EVIDENCE_SENT_ACTION = "billing.dispute_evidence_sent"


def dispute_customer(dispute: Dispute) -> str:
    if dispute.plan is None:
        return f"Unknown payment {dispute.payment_intent_id or dispute.stripe_charge_id}"
    user = dispute.plan.user
    return user.get_full_name() or user.email


def dispute_amount(dispute: Dispute) -> str:
    return money(dispute.amount_cents, dispute.currency)


def dispute_status(dispute: Dispute) -> str:
    if dispute.evidence_submitted_at and dispute.evidence_file_id:
        return f"{status_label(dispute.status)} · evidence sent"
    return status_label(dispute.status)


def disputes_listed():
    """Disputes still waiting for evidence first, soonest deadline first; then the rest."""
    waiting = Q(status__in=OPEN_FOR_EVIDENCE, evidence_submitted_at__isnull=True)
    return (
        Dispute.objects.select_related("plan__user", "plan__order")
        .annotate(
            answered=Case(
                When(waiting, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("answered", F("evidence_due_by").asc(nulls_last=True), "-opened_at", "-pk")
    )


class RespondByColumn(DateColumn):
    """The deadline, flagged when it passed with no evidence sent."""

    cell_template_name = "shop/billing/disputes/respond_by_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["overdue"] = dispute_overdue(instance)
        return context


class DisputeIndexView(ListingNamed, IndexView):
    listing_name = page_title = LISTING

    def get_base_queryset(self):
        return disputes_listed()

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "customer",
                label="Customer",
                accessor=dispute_customer,
                get_url=self.get_inspect_url,
            ),
            DateColumn("opened", label="Opened", accessor="opened_at", sort_key="opened_at"),
            Column("amount", label="Amount", accessor=dispute_amount, sort_key="amount_cents"),
            Column("reason", label="Reason", accessor=lambda d: reason_label(d.reason)),
            Column("status", label="Status", accessor=dispute_status, sort_key="status"),
            RespondByColumn(
                "respond_by",
                label="Respond by",
                accessor="evidence_due_by",
                sort_key="evidence_due_by",
            ),
        ]


class DisputeInspectView(ListingNamed, InspectView):
    """The dispute and every item of its evidence, as the PDF holds them."""

    listing_name = LISTING
    page_title = "Dispute"
    template_name = "shop/billing/disputes/inspect.html"
    pdf_url_name = None
    send_url_name = None

    def get_object(self, queryset=None):
        return get_object_or_404(
            Dispute.objects.select_related("plan", "charge", "evidence_submitted_by"), pk=self.pk
        )

    def get_fields(self):
        return []

    def get_page_subtitle(self):
        return f"{dispute_customer(self.object)}, {dispute_amount(self.object)}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        dispute = self.object
        refusal = dispute_refusal(dispute)
        context.update(
            dispute=dispute,
            evidence=dispute_evidence(dispute),
            pdf_url=reverse(self.pdf_url_name, args=(dispute.pk,)),
            refusal=refusal,
            send_url=(
                reverse(self.send_url_name, args=(dispute.pk,))
                if not refusal and self.request.user.has_perm(SUBMIT_PERMISSION)
                else ""
            ),
            plan_url=(
                reverse("programs:inspect", args=(dispute.plan_id,)) if dispute.plan_id else ""
            ),
        )
        return context


def dispute_pdf_view(request, pk: int):
    """The evidence as one PDF, downloaded."""
    if not request.user.has_perm(VIEW_PERMISSION):
        return permission_denied(request, PermissionDenied())
    dispute = get_object_or_404(Dispute, pk=pk)
    response = HttpResponse(dispute_pdf(dispute_evidence(dispute)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="evidence-{dispute.dispute_id}.pdf"'
    return response


class DisputeSendView(WagtailAdminTemplateMixin, TemplateView):
    """Send the evidence to Stripe: GET says what goes and asks; POST with ``confirm=yes``
    sends it, once, and goes back to the dispute's page with what happened."""

    template_name = "shop/billing/disputes/send.html"
    header_icon = "warning"
    page_title = "Send the evidence to Stripe"
    index_url_name = None
    inspect_url_name = None

    def dispatch(self, request, *args, pk: int, **kwargs):
        # Whether the user may send is settled before any lookup.
        if not request.user.has_perm(SUBMIT_PERMISSION):
            return permission_denied(request, PermissionDenied())
        self.dispute = get_object_or_404(Dispute.objects.select_related("plan__user"), pk=pk)
        return super().dispatch(request, *args, **kwargs)

    @property
    def dispute_url(self) -> str:
        return reverse(self.inspect_url_name, args=(self.dispute.pk,))

    def get_page_subtitle(self):
        return f"{dispute_customer(self.dispute)}, {dispute_amount(self.dispute)}"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": LISTING},
            {"url": self.dispute_url, "label": self.get_page_subtitle()},
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            dispute=self.dispute,
            refusal=dispute_refusal(self.dispute),
            dispute_url=self.dispute_url,
            status=status_label(self.dispute.status),
        )
        return context

    def post(self, request, *args, **kwargs):
        if request.POST.get("confirm") != "yes":
            return self.get(request)
        try:
            dispute_evidence_submit(dispute_pk=self.dispute.pk, actor=request.user)
        except (EvidenceNotSent, gateway.GatewayError) as err:
            messages.error(request, err.user_message)
        else:
            messages.success(
                request, "The evidence was sent to Stripe: the bank now reviews the dispute."
            )
            # Also in the CMS's own history (Reports → Site history), with who sent it.
            log(instance=self.dispute, action=EVIDENCE_SENT_ACTION, user=request.user)
        return redirect(self.dispute_url)


class DisputeViewSet(ReadOnlyViewSet):
    """Disputes: each disputed payment, its evidence, and sending it to Stripe."""

    model = Dispute
    name = "disputes"
    icon = "warning"
    menu_label = LISTING
    menu_order = 230
    add_to_admin_menu = True
    menu_hook = SHOP_MENU_HOOK
    index_view_class = DisputeIndexView
    inspect_view_class = DisputeInspectView
    inspect_view_enabled = True
    search_fields = ["dispute_id", "plan__user__email", "plan__order__number"]
    search_backend_name = None

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            pdf_url_name=self.get_url_name("pdf"),
            send_url_name=self.get_url_name("send"),
            **kwargs,
        )

    @property
    def send_view(self):
        return DisputeSendView.as_view(
            index_url_name=self.get_url_name("index"),
            inspect_url_name=self.get_url_name("inspect"),
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("<int:pk>/evidence.pdf", dispute_pdf_view, name="pdf"),
            path("<int:pk>/send/", self.send_view, name="send"),
        ]
