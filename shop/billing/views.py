import logging
from enum import StrEnum

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from shop import abuse, gateway
from shop.billing.actions import (
    installment_retry_now,
    plan_cancel_access_end,
    plan_card_update,
    plan_payments_cancel,
)
from shop.billing.charging import AttemptOutcome
from shop.billing.confirm_links import ConfirmLinkInvalid, confirm_link_charge, confirm_link_path
from shop.billing.confirmation import (
    ConfirmationOutcome,
    confirmation_email_resend,
    confirmation_result_record,
)
from shop.billing.forms import RefundAmountForm
from shop.billing.models import ChargeStatus, InstallmentPlan, ScheduledCharge
from shop.billing.money import from_minor_units
from shop.billing.refunds import installment_refund
from shop.billing.reminders import QuitLinkInvalid, quit_link_plan
from shop.billing.selectors import program_plans_for
from shop.billing.services import PlanActionNotAllowed, plan_trial_quit
from shop.billing.webhooks import stripe_event_handle
from shop.errors import RefusedWithMessage
from web.content_security import stripe_js_allow
from web.dates import long_date

logger = logging.getLogger(__name__)


class ProgramView(LoginRequiredMixin, TemplateView):
    """ "My program": the customer's plans, their payments, and the quit button."""

    template_name = "shop/billing/program.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        plans = program_plans_for(user=self.request.user, now=timezone.now())
        context["plans"] = plans
        context["page_title"] = "My program"
        context["active_tab"] = "program"
        return context


class TrialQuitView(LoginRequiredMixin, View):
    """ "Quit ... Tryout" from the account or the thank-you page: the press is confirmed in
    the page (a dialog) and posts ``confirm=yes``; without JavaScript the press lands here
    unconfirmed and this asks on a page of its own, whose one button quits."""

    def post(self, request, plan_id: int):
        plan = InstallmentPlan.objects.filter(pk=plan_id, user=request.user).first()
        if plan is None:
            raise Http404
        if request.POST.get("confirm") != "yes":
            return render(
                request,
                TrialQuitLinkView.template_name,
                {"plan": plan, "action": reverse("billing:trial-quit", args=[plan.pk])},
            )
        try:
            plan, changed = plan_trial_quit(plan_id=plan_id, actor=request.user)
        except PlanActionNotAllowed as exc:
            messages.error(request, exc.user_message)
        else:
            if changed:
                messages.success(
                    request,
                    "You have quit the free tryout. Nothing will be charged. You can keep "
                    f"downloading until {long_date(plan.trial_ends_at)}.",
                )
            else:
                messages.info(request, "You had already quit the tryout; nothing will be charged.")
        return redirect("billing:program")


class TrialQuitLinkView(View):
    """The reminder's one-click quit link: GET asks to confirm, POST quits. No login: the
    signed link is the proof; an altered or expired link gets a clear message."""

    template_name = "shop/billing/quit_link.html"

    def dispatch(self, request, token: str):
        try:
            self.plan = quit_link_plan(token)
        except QuitLinkInvalid as exc:
            return render(request, self.template_name, {"error": exc.user_message}, status=400)
        return super().dispatch(request, token)

    def get(self, request, token: str):
        return render(request, self.template_name, {"plan": self.plan})

    def post(self, request, token: str):
        try:
            plan, changed = plan_trial_quit(
                plan_id=self.plan.pk, actor=None, actor_label="customer (email link)"
            )
        except PlanActionNotAllowed as exc:
            return render(request, self.template_name, {"error": exc.user_message}, status=400)
        return render(request, self.template_name, {"plan": plan, "done": True, "changed": changed})


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's notifications: verified, stored once, dispatched by type (see webhooks)."""
    try:
        event = gateway.webhook_event_construct(
            payload=request.body, signature_header=request.headers.get("Stripe-Signature", "")
        )
    except gateway.WebhookSignatureInvalid:
        logger.warning("webhook with a bad signature refused")
        return HttpResponseBadRequest("bad signature")
    try:
        result = stripe_event_handle(event)
    except gateway.PaymentProviderUnavailable:
        logger.warning(
            "webhook %s %s: Stripe unreachable, left for its retry", event.type, event.id
        )
        return HttpResponse("provider unavailable, send again", status=503)
    except OperationalError:
        # A lock or a busy database passes; Stripe's retry finds the event unprocessed.
        logger.warning("webhook %s %s: database busy, left for its retry", event.type, event.id)
        return HttpResponse("busy, send again", status=503)
    logger.info("webhook %s %s: %s", event.type, event.id, result)
    return HttpResponse(result)


class StaffAction(StrEnum):
    """The author's actions on a plan from the dashboard order page, named in its links."""

    REFUND = "refund"
    RETRY = "retry"
    CANCEL = "cancel"
    RESEND = "resend"


class StaffPlanActionView(View):
    """The author's actions from the dashboard order page: refund an installment, cancel
    the remaining payments, retry a failed payment now, send the confirmation email again.
    Each needs staff status and its own permission on installment plans. GET asks to
    confirm; POST acts."""

    template_name = "shop/billing/staff_action_confirm.html"
    # action: (title, button, permission)
    ACTIONS = {
        StaffAction.REFUND: ("Refund installment", "Refund", "billing.refund_installment"),
        StaffAction.RETRY: (
            "Retry payment now",
            "Charge the saved card now",
            "billing.retry_payment",
        ),
        StaffAction.CANCEL: (
            "Cancel remaining payments",
            "Cancel the remaining payments",
            "billing.cancel_payments",
        ),
        StaffAction.RESEND: (
            "Send the confirmation email again",
            "Send the email",
            "billing.resend_confirmation",
        ),
    }

    def dispatch(self, request, *args, action: str, pk: int, **kwargs):
        # Who asks is settled before any lookup, so the answer never tells which ids exist.
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if action not in self.ACTIONS:
            raise Http404
        action = StaffAction(action)
        if not (request.user.is_staff and request.user.has_perm(self.ACTIONS[action][2])):
            raise PermissionDenied
        if action == StaffAction.CANCEL:
            self.charge = None
            self.plan = get_object_or_404(InstallmentPlan.objects.select_related("order"), pk=pk)
        else:
            self.charge = get_object_or_404(
                ScheduledCharge.objects.select_related("plan__order"), pk=pk
            )
            self.plan = self.charge.plan
        self.action = action
        return super().dispatch(request, *args, **kwargs)

    def order_page(self):
        return redirect("dashboard:order-detail", number=self.plan.order.number)

    def explanation(self) -> str:
        if self.action == StaffAction.REFUND and self.charge is not None:
            return (
                f"Give back money paid for installment {self.charge.sequence}. A full refund "
                "refunds the plan: remaining payments are cancelled and the download ends now."
            )
        if self.action == StaffAction.RESEND and self.charge is not None:
            deadline = self.charge.confirm_by
            if deadline is None:
                return f"Installment {self.charge.sequence} does not wait for a confirmation."
            return (
                f"Email the customer again the link to confirm installment "
                f"{self.charge.sequence} with their bank, valid until "
                f"{long_date(deadline)}."
            )
        if self.action == StaffAction.RETRY and self.charge is not None:
            return (
                f"Charge installment {self.charge.sequence} "
                f"({from_minor_units(self.charge.amount_cents, self.charge.currency)} "
                f"{self.charge.currency}) to the saved "
                "card now, whatever its retry date."
            )
        end = plan_cancel_access_end(self.plan, timezone.now())
        return (
            "Nothing more will be charged. The download stays open until "
            f"{long_date(end)} (the period already paid)."
        )

    def get(self, request, *args, form: RefundAmountForm | None = None, **kwargs):
        title, button, _ = self.ACTIONS[self.action]
        context = {
            "title": title,
            "button": button,
            "action": self.action,
            "plan": self.plan,
            "charge": self.charge,
            "explanation": self.explanation(),
        }
        if self.charge is not None:
            left = self.charge.amount_cents - self.charge.refunded_cents
            context["refundable"] = from_minor_units(left, self.charge.currency)
            # The smallest amount the currency has: 0.01 for dollars, 1 for yen.
            context["step"] = from_minor_units(1, self.charge.currency)
        context["form"] = form
        status = 400 if form is not None and form.errors else 200
        return render(request, self.template_name, context, status=status)

    def post(self, request, *args, **kwargs):
        if request.POST.get("confirm") != "yes":
            return self.get(request, *args, **kwargs)
        form = None
        if self.action == StaffAction.REFUND:
            form = RefundAmountForm(request.POST, charge=self.charge)
            if not form.is_valid():
                return self.get(request, *args, form=form, **kwargs)
        try:
            message = self.act(form)
        except gateway.PaymentProviderUnavailable as exc:
            if self.action == StaffAction.REFUND:
                # The refund is claimed: the billing run asks Stripe again with the same key.
                messages.warning(
                    request,
                    "Stripe could not be reached. The refund is recorded as requested and is "
                    "sent again automatically in a few minutes; nothing more to do.",
                )
            else:
                messages.error(request, exc.user_message)
        except RefusedWithMessage as exc:
            messages.error(request, exc.user_message)
        else:
            messages.success(request, message)
        return self.order_page()

    def act(self, form: RefundAmountForm | None) -> str:
        user = self.request.user
        if self.action == StaffAction.REFUND and self.charge is not None and form is not None:
            refunded = installment_refund(
                charge_id=self.charge.pk, amount_cents=form.cleaned_data["amount"], actor=user
            )
            currency = self.charge.currency
            return f"Refunded {from_minor_units(refunded, currency)} {currency}."
        if self.action == StaffAction.RESEND and self.charge is not None:
            confirmation_email_resend(charge_id=self.charge.pk, actor=user)
            return f"The email was sent again to {self.plan.user.email}."
        if self.action == StaffAction.RETRY and self.charge is not None:
            attempt = installment_retry_now(charge_id=self.charge.pk, actor=user)
            return f"Retry: {attempt.outcome}{f' ({attempt.reason})' if attempt.reason else ''}."
        # Only "cancel" has no installment: any other action reaching here is refused.
        if self.action != StaffAction.CANCEL:
            raise Http404
        _, changed = plan_payments_cancel(plan_id=self.plan.pk, actor=user, actor_label="author")
        return "Remaining payments cancelled." if changed else "They were already cancelled."


CARD_SETUP_SESSION_KEY = "billing_card_setup_intents"


class PlanCustomerMixin(LoginRequiredMixin):
    request: HttpRequest

    def plan_of_user(self, plan_id: int) -> InstallmentPlan:
        return get_object_or_404(
            InstallmentPlan.objects.select_related("order", "product"),
            pk=plan_id,
            user=self.request.user,
        )


class PaymentsCancelView(PlanCustomerMixin, View):
    """After the tryout: cancel the remaining payments (the page says until when the
    download stays open)."""

    def post(self, request, plan_id: int):
        self.plan_of_user(plan_id)
        try:
            plan, changed = plan_payments_cancel(plan_id=plan_id, actor=request.user)
        except PlanActionNotAllowed as exc:
            messages.error(request, exc.user_message)
        else:
            end = plan.access_ends_at
            if not changed or end is None:
                message = "Your remaining payments were already cancelled."
            elif end <= timezone.now():
                # The payment due was not taken: no period paid for is left.
                message = (
                    "Your remaining payments are cancelled; nothing more will be charged. "
                    "Your download has ended, as the payment that was due had not been taken."
                )
            else:
                message = (
                    "Your remaining payments are cancelled; nothing more will be charged. You "
                    f"can keep downloading until {long_date(end)}."
                )
            messages.success(request, message)
        return redirect("billing:program")


class CardUpdateView(PlanCustomerMixin, TemplateView):
    """Save a new card for the plan with Stripe.js (confirmCardSetup), then retry a failed
    payment with it at once."""

    template_name = "shop/billing/card_update.html"

    def setup_intent_for(self, plan) -> gateway.SetupIntentInfo | None:
        """The page's SetupIntent (None when Stripe cannot be reached); raises
        TooManyAttempts, asking Stripe nothing new, when the visitor is over a card limit."""
        stored = self.request.session.get(CARD_SETUP_SESSION_KEY, {})
        try:
            if str(plan.pk) in stored:
                intent = gateway.setup_intent_retrieve(stored[str(plan.pk)])
                if intent.status in gateway.SETUP_STILL_OPEN:
                    return intent
            abuse.card_setup_spend(request=self.request)
            intent = gateway.setup_intent_create(
                customer_id=plan.stripe_customer_id,
                metadata={"plan_id": str(plan.pk), "purpose": "card_update"},
            )
        except gateway.GatewayError:
            return None
        stored[str(plan.pk)] = intent.id
        self.request.session[CARD_SETUP_SESSION_KEY] = stored
        return intent

    def render_page(self, plan, *, error: str = "", status: int = 200):
        try:
            intent = self.setup_intent_for(plan)
        except abuse.TooManyAttempts as exc:
            intent, error = None, error or exc.user_message
        stripe_js_allow(self.request)
        context = self.get_context_data(
            page_title="Update card",
            active_tab="program",
            plan=plan,
            failed=plan.charges.filter(
                status__in=[ChargeStatus.FAILED, ChargeStatus.AWAITING_CONFIRMATION]
            ),
            setup_intent=intent,
            stripe_publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
            stripe_js_url=settings.STRIPE_JS_URL,
            error=error or ("" if intent else gateway.errors.MESSAGE_UNAVAILABLE),
        )
        return self.render_to_response(context, status=status)

    def get(self, request, plan_id: int):
        return self.render_page(self.plan_of_user(plan_id))

    def post(self, request, plan_id: int):
        plan = self.plan_of_user(plan_id)
        try:
            attempts = plan_card_update(
                plan_id=plan.pk,
                setup_intent_id=request.POST.get("setup_intent_id", ""),
                actor=request.user,
            )
        except RefusedWithMessage as exc:
            return self.render_page(plan, error=exc.user_message, status=400)
        request.session.get(CARD_SETUP_SESSION_KEY, {}).pop(str(plan.pk), None)
        request.session.modified = True
        outcomes = {a.outcome for a in attempts}
        waiting = plan.charges.filter(status=ChargeStatus.AWAITING_CONFIRMATION).first()
        if waiting is not None:
            # The new card's bank asks for its own check: straight to the confirmation page.
            messages.info(
                request, "Your new card is saved. Your bank asks you to confirm the payment."
            )
            return redirect(confirm_link_path(waiting))
        if not attempts:
            messages.success(request, "Your new card is saved for the next payments.")
        elif outcomes == {AttemptOutcome.SUCCEEDED}:
            messages.success(request, "Your new card is saved and the payment went through.")
        else:
            messages.error(
                request,
                "Your new card is saved, but the payment did not go through. "
                "Please try another card.",
            )
        return redirect("billing:program")


class PaymentConfirmView(LoginRequiredMixin, TemplateView):
    """ "Confirm your payment": the signed link from the email. Stripe.js confirms the
    installment's existing PaymentIntent on session (the bank's check); the page then asks
    Stripe for the outcome and records it. Reloading, or the webhook arriving first,
    changes nothing twice."""

    template_name = "shop/billing/payment_confirm.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        try:
            self.charge = confirm_link_charge(kwargs["token"], user=request.user)
        except ConfirmLinkInvalid as exc:
            context = {"error": exc.user_message, "charge": exc.charge, "invalid": True}
            return render(request, self.template_name, context, status=exc.status)
        self.plan = self.charge.plan
        return super().dispatch(request, *args, **kwargs)

    def render_page(self, *, notice: str = "", error: str = "", status: int = 200):
        try:
            intent = gateway.payment_intent_retrieve(self.charge.payment_intent_id)
        except gateway.GatewayError as exc:
            intent, error, status = None, exc.user_message, 503
        if intent is not None and intent.status == gateway.PaymentStatus.SUCCEEDED:
            # Confirmed elsewhere (another tab, the bank's app): record it and say so.
            confirmation_result_record(charge=self.charge, actor=self.request.user, result=intent)
            return self.paid()
        stripe_js_allow(self.request)
        context = self.get_context_data(
            charge=self.charge,
            plan=self.plan,
            client_secret=intent.client_secret if intent else "",
            stripe_publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
            stripe_js_url=settings.STRIPE_JS_URL,
            notice=notice,
            error=error,
        )
        return self.render_to_response(context, status=status)

    def paid(self):
        messages.success(
            self.request,
            f"Thank you: payment {self.charge.sequence} of {self.plan.installment_count} is "
            "confirmed and paid.",
        )
        return redirect("billing:program")

    def get(self, request, token: str):
        return self.render_page()

    def post(self, request, token: str):
        try:
            outcome = confirmation_result_record(charge=self.charge, actor=request.user)
        except gateway.GatewayError as exc:
            return self.render_page(error=exc.user_message, status=503)
        if outcome == ConfirmationOutcome.PAID:
            return self.paid()
        if outcome == ConfirmationOutcome.PROCESSING:
            messages.info(
                request,
                "Thank you: your bank accepted the payment and it is on its way. "
                "We email you a receipt as soon as it arrives.",
            )
            return redirect("billing:program")
        if outcome == ConfirmationOutcome.WAITING:
            return self.render_page(
                notice="Your bank's check was not finished, so nothing has been taken. "
                "Please confirm the payment again."
            )
        return self.render_page(
            error="Your bank did not confirm the payment, so nothing has been taken. "
            "You can try again, or pay with another card.",
        )
