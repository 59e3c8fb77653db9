"""The author's back office for customers' programs, in Wagtail's admin (/cms/).

"Customers' programs": every plan, searched by customer or order and filtered; one page per
plan with everything about it (order, payments, refunds, consent, access, emails, downloads,
events) and the four actions of ``shop.billing.plan_actions``, each asked and confirmed.
"Emails sent": what the shop owed customers, when it went out and what became of it (the
provider's delivery events); an email that bounced is sent again to a corrected address.

Both are read-only listings: plans and emails change only through the billing's own
services, never by editing rows."""

from dataclasses import dataclass

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, IntegerField, Min, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.views.defaults import permission_denied
from django.views.generic import TemplateView
from oscar.core.loading import get_model
from wagtail.admin.admin_url_finder import ModelAdminURLFinder
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.generic import IndexView, InspectView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import log

from shop.backoffice.menus import SHOP_MENU_HOOK
from shop.backoffice.screens import LeavesOutViews, ListingNamed
from shop.billing.email_resend import (
    account_address_taken,
    email_address_cleaned,
    email_plan,
    email_resend,
)
from shop.billing.models import (
    ChargeStatus,
    InstallmentPlan,
    OutgoingEmail,
    PlanStatus,
    TrialConsent,
)
from shop.billing.money import from_minor_units
from shop.billing.plan_actions import (
    ACTIONS,
    action_allowed,
    action_explanation,
    action_named,
    action_perform,
    action_target,
    payment_action,
    plan_can_be_cancelled,
    refund_form,
)
from shop.billing.templatetags.money_tags import cents_as_money
from shop.downloads.selectors import downloads_and_plays
from shop.emails.delivery import DeliveryState, delivery_states, flagged_message_ids
from shop.errors import RefusedWithMessage

CommunicationEventType = get_model("communication", "CommunicationEventType")

# Payments still to come: what "next payment due" is read from.
TO_COME = [ChargeStatus.SCHEDULED, ChargeStatus.FAILED, ChargeStatus.AWAITING_CONFIRMATION]
DOWNLOADS_SHOWN = 50
# Who may send an email again, to the customer's address or a corrected one.
EMAIL_RESEND_PERMISSION = "billing.resend_confirmation"


class RecordURLFinder(ModelAdminURLFinder):
    def construct_edit_url(self, instance):
        if self.edit_url_name is None:
            return None
        return super().construct_edit_url(instance)


class ReadOnlyViewSet(LeavesOutViews, ModelViewSet):
    """A listing and its pages with no add, edit, delete or copy: rows here are records."""

    copy_view_enabled = False
    views_left_out = frozenset({"add", "edit", "delete", "history", "usage"})
    # Nothing on a page links to a plan or an email; indexing them would cost the billing
    # run a few queries on every save of a plan, payment or email.
    add_to_reference_index = False

    @property
    def url_finder_class(self):
        # A record has no edit page: the CMS's links to one (its history) open its own page.
        return type(
            "RecordURLFinder",
            (RecordURLFinder,),
            {"edit_url_name": self.get_url_name("inspect") if self.inspect_view_enabled else None},
        )

    def get_urlpatterns(self):
        patterns = [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
        ]
        if self.inspect_view_enabled:
            patterns.append(path("<int:pk>/", self.inspect_view, name="inspect"))
        return patterns


# Customers' programs


def customer_name(plan: InstallmentPlan) -> str:
    return plan.user.get_full_name() or plan.user.email


def paid_of_total(plan: InstallmentPlan) -> str:
    # ``paid_cents`` is annotated by the listing's query (``plans_listed``).
    paid_cents: int = getattr(plan, "paid_cents")  # noqa: B009
    return (
        f"{cents_as_money(paid_cents, plan.currency)} of "
        f"{cents_as_money(plan.total_cents, plan.currency)}"
    )


def plans_listed():
    """The plans with what the listing shows, in one query however many there are."""
    return InstallmentPlan.objects.select_related("order", "user").annotate(
        # What the customer has paid and kept: refunds are taken off.
        paid_cents=Coalesce(
            Sum(
                F("charges__amount_cents") - F("charges__refunded_cents"),
                filter=Q(charges__paid_at__isnull=False),
            ),
            Value(0),
            output_field=IntegerField(),
        ),
        next_due_at=Min("charges__due_at", filter=Q(charges__status__in=TO_COME)),
    )


class PlanFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices, label="Status")
    with_trial = django_filters.BooleanFilter(
        label="With tryout",
        widget=django_filters.widgets.BooleanWidget(),
    )
    started = django_filters.DateFromToRangeFilter(
        field_name="trial_started_at", label="Started between", widget=DateRangePickerWidget
    )

    class Meta:
        model = InstallmentPlan
        fields = ["status", "with_trial", "started"]


class PlanIndexView(ListingNamed, IndexView):
    listing_name = page_title = "Customers' programs"

    def get_base_queryset(self):
        return plans_listed()

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "customer",
                label="Customer",
                accessor=customer_name,
                get_url=self.get_inspect_url,
                sort_key="user__last_name",
            ),
            Column("email", label="Email", accessor="user.email", sort_key="user__email"),
            Column("order", label="Order", accessor="order.number", sort_key="order__number"),
            Column("status", label="Status", accessor="get_status_display", sort_key="status"),
            DateColumn(
                "started", label="Started", accessor="trial_started_at", sort_key="trial_started_at"
            ),
            Column("paid", label="Paid so far", accessor=paid_of_total, sort_key="paid_cents"),
            DateColumn(
                "next_due", label="Next payment due", accessor="next_due_at", sort_key="next_due_at"
            ),
        ]

    def to_row_dict(self, item):
        row = super().to_row_dict(item)
        # Amounts as the currency writes them (98.50, 9850 for yen), not in cents.
        for field in ("paid_cents", "total_cents"):
            if field in row:
                row[field] = from_minor_units(row[field], item.currency)
        return row


@dataclass(frozen=True)
class EmailShown:
    """One email on a plan's page, with what the page says of it."""

    email: OutgoingEmail
    name: str
    sent_to: str
    delivery: DeliveryState | None
    resend_url: str


class PlanInspectView(ListingNamed, InspectView):
    """Everything about one plan, each part read once, whatever its length."""

    listing_name = "Customers' programs"
    page_title = "Program"
    template_name = "shop/billing/backoffice/plan_inspect.html"
    action_url_name = None
    email_resend_url_name = None

    def get_object(self, queryset=None):
        return get_object_or_404(
            InstallmentPlan.objects.select_related("order", "user", "product"), pk=self.pk
        )

    def get_fields(self):
        return []

    def get_page_subtitle(self):
        return f"{customer_name(self.object)}, order {self.object.order.number}"

    def action_url(self, action, pk) -> str:
        return reverse(self.action_url_name, args=(action, pk))

    def emails_shown(self, order, user) -> list["EmailShown"]:
        """The order's emails, newest first, each with its name, address, delivery state
        and the link to send it again: three queries however many there are."""
        emails = list(OutgoingEmail.objects.filter(order=order).order_by("-created_at", "-pk"))
        names = email_names()
        states = delivery_states(email.message_id for email in emails)
        may_resend = user.has_perm(EMAIL_RESEND_PERMISSION)
        return [
            EmailShown(
                email=email,
                name=names.get(email.code, email.code),
                sent_to=email.to_address or order.user.email,
                delivery=states.get(email.message_id) if email.message_id else None,
                resend_url=(
                    reverse(self.email_resend_url_name, args=(email.pk,))
                    if may_resend and email.sent_at
                    else ""
                ),
            )
            for email in emails
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        plan, user = self.object, self.request.user
        order = plan.order
        charges = list(plan.charges.all())
        for charge in charges:
            action = payment_action(charge, user)
            charge.action_link = (
                (ACTIONS[action].title, self.action_url(action, charge.pk)) if action else None
            )
        context.update(
            plan=plan,
            order=order,
            lines=list(order.lines.all()),
            charges=charges,
            refunds=list(plan.refunds.select_related("charge", "actor")),
            consent=TrialConsent.objects.filter(order=order).first(),
            grants=list(order.download_grants.all()),
            emails=self.emails_shown(order, user),
            downloads=downloads_and_plays(
                user_id=plan.user_id, product_id=plan.product_id, limit=DOWNLOADS_SHOWN
            ),
            downloads_shown=DOWNLOADS_SHOWN,
            events=list(plan.events.select_related("actor")),
            cancel_url=(
                self.action_url("cancel", plan.pk) if plan_can_be_cancelled(plan, user) else ""
            ),
            order_url=reverse("dashboard:order-detail", kwargs={"number": order.number}),
        )
        return context


class PlanActionView(WagtailAdminTemplateMixin, TemplateView):
    """Refund a payment, retry it now, send the confirmation email again, or cancel the
    remaining payments: GET says what will happen and asks; POST with ``confirm=yes`` acts
    and goes back to the plan's page with what happened."""

    template_name = "shop/billing/backoffice/plan_action.html"
    header_icon = "user"
    index_url_name = None
    inspect_url_name = None

    def dispatch(self, request, *args, action: str, pk: int, **kwargs):
        # Whether the user may act is settled before any lookup: the answer never tells
        # which plans or payments exist.
        self.action = action_named(action)
        if not action_allowed(request.user, self.action):
            return permission_denied(request, PermissionDenied())
        self.terms = ACTIONS[self.action]
        self.target = action_target(self.action, pk)
        return super().dispatch(request, *args, **kwargs)

    @property
    def plan_url(self) -> str:
        return reverse(self.inspect_url_name, args=(self.target.plan.pk,))

    def get_page_title(self):
        return self.terms.title

    def get_page_subtitle(self):
        return f"{customer_name(self.target.plan)}, order {self.target.plan.order.number}"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": "Customers' programs"},
            {"url": self.plan_url, "label": self.get_page_subtitle()},
            {"url": "", "label": self.terms.title},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        charge = self.target.charge
        context.update(
            action=self.action,
            terms=self.terms,
            plan=self.target.plan,
            charge=charge,
            explanation=action_explanation(self.target),
            plan_url=self.plan_url,
        )
        if charge is not None:
            left = charge.amount_cents - charge.refunded_cents
            context["refundable"] = from_minor_units(left, charge.currency)
            # The smallest amount the currency has: 0.01 for dollars, 1 for yen.
            context["step"] = from_minor_units(1, charge.currency)
        return context

    def get(self, request, *args, form=None, **kwargs):
        status = 400 if form is not None and form.errors else 200
        return self.render_to_response(self.get_context_data(form=form), status=status)

    def post(self, request, *args, **kwargs):
        if request.POST.get("confirm") != "yes":
            return self.get(request)
        form = refund_form(self.target, request.POST)
        if form is not None and not form.is_valid():
            return self.get(request, form=form)
        result = action_perform(target=self.target, form=form, actor=request.user)
        getattr(messages, result.level)(request, result.message)
        if result.level != "error":
            # Also in the CMS's own history (Reports → Site history), with who did it.
            log(
                instance=self.target.plan,
                action=f"billing.{self.action}",
                user=request.user,
                data={"message": result.message},
            )
        return redirect(self.plan_url)


def email_names() -> dict[str, str]:
    """Each email's name as the author knows it (Communications), by its code."""
    return dict(CommunicationEventType.objects.values_list("code", "name"))


class EmailResendForm(forms.Form):
    to_address = forms.CharField(
        label="Send to",
        max_length=254,
        help_text="The corrected address, e.g. with the typing mistake fixed.",
    )
    update_account = forms.BooleanField(
        label="Also use this address for the customer's account",
        required=False,
        help_text="Later emails then go there too, and the customer signs in with it.",
    )

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer

    def clean_to_address(self):
        try:
            return email_address_cleaned(self.cleaned_data["to_address"])
        except RefusedWithMessage as exc:
            raise forms.ValidationError(exc.user_message) from None

    def clean(self):
        cleaned = super().clean()
        address = cleaned.get("to_address")
        if (
            address
            and cleaned.get("update_account")
            and self.customer is not None
            and account_address_taken(user=self.customer, address=address)
        ):
            self.add_error(
                "update_account",
                f"Another account already uses {address}: the customer's account cannot "
                "take it. Untick this to send the email only.",
            )
        return cleaned


class EmailResendView(WagtailAdminTemplateMixin, TemplateView):
    """Send a sent email again, to the address it went to or a corrected one: GET asks for
    the address, POST sends it and goes back to the plan's page with what happened."""

    template_name = "shop/billing/backoffice/email_resend.html"
    header_icon = "mail"
    page_title = "Send again to another address"
    index_url_name = None
    inspect_url_name = None

    def dispatch(self, request, *args, pk: int, **kwargs):
        # As for the plan actions: whether the user may act is settled before any lookup.
        if not request.user.has_perm(EMAIL_RESEND_PERMISSION):
            return permission_denied(request, PermissionDenied())
        self.email = get_object_or_404(
            OutgoingEmail.objects.select_related("order__user", "plan"), pk=pk
        )
        plan = email_plan(self.email)
        if plan is None:
            raise Http404
        self.plan = plan
        return super().dispatch(request, *args, **kwargs)

    @property
    def plan_url(self) -> str:
        return reverse(self.inspect_url_name, args=(self.plan.pk,))

    def get_page_subtitle(self):
        return f"{customer_name(self.plan)}, order {self.plan.order.number}"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": "Customers' programs"},
            {"url": self.plan_url, "label": self.get_page_subtitle()},
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        email = self.email
        context.update(
            email=email,
            email_name=email_names().get(email.code, email.code),
            sent_to=email.to_address or email.order.user.email,
            delivery=delivery_states([email.message_id]).get(email.message_id),
            plan=self.plan,
            plan_url=self.plan_url,
        )
        return context

    def get(self, request, *args, form=None, **kwargs):
        if self.email.sent_at is None:
            messages.error(request, "This email has not been sent yet: nothing to send again.")
            return redirect(self.plan_url)
        status = 400 if form is not None and form.errors else 200
        if form is None:
            form = EmailResendForm(
                customer=self.email.order.user,
                initial={"to_address": self.email.to_address or self.email.order.user.email},
            )
        return self.render_to_response(self.get_context_data(form=form), status=status)

    def post(self, request, *args, **kwargs):
        form = EmailResendForm(request.POST, customer=self.email.order.user)
        if not form.is_valid():
            return self.get(request, form=form)
        try:
            result = email_resend(
                email_id=self.email.pk,
                to_address=form.cleaned_data["to_address"],
                actor=request.user,
                update_account=form.cleaned_data["update_account"],
            )
        except RefusedWithMessage as exc:
            form.add_error(None, exc.user_message)
            return self.get(request, form=form)
        messages.success(request, result.message)
        if result.created:
            # Also in the CMS's own history (Reports → Site history), with who did it.
            log(
                instance=self.plan,
                action="billing.email_resend",
                user=request.user,
                data={"message": result.message},
            )
        return redirect(f"{self.plan_url}#plan-emails")


class CustomerProgramViewSet(ReadOnlyViewSet):
    """Customers' programs: the plans, each with its page and its actions."""

    model = InstallmentPlan
    name = "programs"
    icon = "user"
    menu_label = "Customers' programs"
    menu_order = 200
    add_to_admin_menu = True
    menu_hook = SHOP_MENU_HOOK
    index_view_class = PlanIndexView
    inspect_view_class = PlanInspectView
    inspect_view_enabled = True
    filterset_class = PlanFilterSet
    # The database search: a few thousand plans need no index to keep in step.
    search_fields = ["user__email", "user__first_name", "user__last_name", "order__number"]
    search_backend_name = None
    list_export = [
        "order.number",
        "user.email",
        "user.get_full_name",
        "get_status_display",
        "with_trial",
        "trial_started_at",
        "currency",
        "paid_cents",
        "total_cents",
        "next_due_at",
    ]
    export_headings = {
        "order.number": "Order",
        "user.email": "Email",
        "user.get_full_name": "Name",
        "get_status_display": "Status",
        "with_trial": "With tryout",
        "trial_started_at": "Started",
        "currency": "Currency",
        "paid_cents": "Paid so far",
        "total_cents": "Total",
        "next_due_at": "Next payment due",
    }
    export_filename = "customers-programs"

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            action_url_name=self.get_url_name("action"),
            email_resend_url_name=self.get_url_name("email_resend"),
            **kwargs,
        )

    @property
    def email_resend_view(self):
        return EmailResendView.as_view(
            index_url_name=self.get_url_name("index"),
            inspect_url_name=self.get_url_name("inspect"),
        )

    @property
    def action_view(self):
        return PlanActionView.as_view(
            index_url_name=self.get_url_name("index"),
            inspect_url_name=self.get_url_name("inspect"),
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("emails/<int:pk>/send-again/", self.email_resend_view, name="email_resend"),
            path("<str:action>/<int:pk>/", self.action_view, name="action"),
        ]


# Emails sent


class EmailFilterSet(WagtailFilterSet):
    sent = django_filters.ChoiceFilter(
        label="Sent",
        choices=[("yes", "Sent"), ("no", "Waiting to be sent")],
        method="filter_sent",
    )
    code = django_filters.ChoiceFilter(label="Email", choices=[], empty_label="Any")
    delivery = django_filters.ChoiceFilter(
        label="Delivery",
        choices=[("flagged", "Bounced or marked as spam")],
        empty_label="Any",
        method="filter_delivery",
    )

    class Meta:
        model = OutgoingEmail
        fields = ["sent", "code", "delivery"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Every email the shop knows, by its name, and any code written but no longer known.
        named = dict(CommunicationEventType.objects.values_list("code", "name"))
        written = OutgoingEmail.objects.values_list("code", flat=True).distinct()
        codes = sorted(set(named) | set(written))
        self.filters["code"].extra["choices"] = [(code, named.get(code, code)) for code in codes]

    def filter_delivery(self, queryset, name, value):
        if value == "flagged":
            return queryset.filter(
                Exists(flagged_message_ids().filter(message_id=OuterRef("message_id")))
            ).exclude(message_id="")
        return queryset

    def filter_sent(self, queryset, name, value):
        if value == "yes":
            return queryset.filter(sent_at__isnull=False)
        if value == "no":
            return queryset.filter(sent_at__isnull=True)
        return queryset


class SentColumn(DateColumn):
    """When the email went out, or "Waiting" (the reason is in the last error)."""

    cell_template_name = "shop/billing/backoffice/sent_cell.html"


class DeliveryColumn(Column):
    """What the provider said of the email: delivered, bounced (with why), marked as spam."""

    cell_template_name = "shop/billing/backoffice/delivery_cell.html"


def sent_to(email: OutgoingEmail) -> str:
    return email.to_address or email.order.user.email


class EmailIndexView(ListingNamed, IndexView):
    listing_name = page_title = "Emails sent"

    def get_base_queryset(self):
        return OutgoingEmail.objects.select_related("order__user").order_by("-created_at", "-pk")

    def get_table(self, object_list):
        # The delivery states of the page's emails, in one query.
        emails = list(object_list)
        states = delivery_states(email.message_id for email in emails)
        for email in emails:
            email.delivery = states.get(email.message_id) if email.message_id else None
        return super().get_table(emails)

    @cached_property
    def columns(self):
        return [
            Column("code", label="Email", accessor="code", sort_key="code"),
            Column("to", label="To", accessor=sent_to),
            Column("order", label="Order", accessor="order.number", sort_key="order__number"),
            DateColumn("created", label="Written", accessor="created_at", sort_key="created_at"),
            SentColumn("sent", label="Sent", accessor="sent_at", sort_key="sent_at"),
            DeliveryColumn("delivery", label="Delivery", accessor="delivery"),
            Column("attempts", label="Attempts", accessor="attempts", sort_key="attempts"),
            DateColumn("next_attempt", label="Next try", accessor="next_attempt_at"),
            Column("last_error", label="Last error", accessor="last_error"),
        ]


class EmailsSentViewSet(ReadOnlyViewSet):
    """Emails sent: each email the shop owed a customer, sent or still waiting."""

    model = OutgoingEmail
    name = "emails_sent"
    url_prefix = "emails-sent"
    icon = "mail"
    menu_label = "Emails sent"
    menu_order = 260
    add_to_admin_menu = True
    menu_hook = SHOP_MENU_HOOK
    index_view_class = EmailIndexView
    filterset_class = EmailFilterSet
    search_fields = ["order__user__email", "order__number"]
    search_backend_name = None
