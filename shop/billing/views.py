import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.generic import RedirectView, TemplateView

from shop import abuse, gateway
from shop.billing.actions import (
    plan_card_update,
    plan_payments_cancel,
)
from shop.billing.cancel_links import CancelLinkInvalid, cancel_link_plan, payments_cancel_allowed
from shop.billing.charging import AttemptOutcome
from shop.billing.confirm_links import ConfirmLinkInvalid, confirm_link_charge, confirm_link_path
from shop.billing.confirmation import (
    ConfirmationOutcome,
    confirmation_result_record,
)
from shop.billing.models import ChargeStatus, InstallmentPlan, PlanStatus
from shop.billing.reminders import QuitLinkInvalid, quit_link_plan
from shop.billing.selectors import program_plans_for
from shop.billing.services import PlanActionNotAllowed, plan_trial_quit
from shop.billing.transitions import UNPAID, plan_cancel_access_end
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


class PaymentsCancelLinkView(View):
    """The payment reminder's one-click "Cancel the remaining payments": GET shows what it
    means and asks to confirm, POST cancels (the same rule and service as on "My program").
    No login: the signed link is the proof; an altered or expired link gets a clear message
    and the way to "My program". Cancelling twice changes nothing the second time."""

    template_name = "shop/billing/cancel_link.html"

    def dispatch(self, request, token: str):
        try:
            self.plan, self.charge = cancel_link_plan(token)
        except CancelLinkInvalid as exc:
            return render(
                request, self.template_name, {"error": exc.user_message}, status=exc.status
            )
        return super().dispatch(request, token)

    def refusal(self):
        """The page instead of the question: already cancelled, or nothing to cancel."""
        plan = self.plan
        if plan.status == PlanStatus.CANCELLED:
            return render(self.request, self.template_name, {"plan": plan, "done": True})
        if not payments_cancel_allowed(plan):
            context = {"plan": plan, "error": _nothing_to_cancel(plan)}
            return render(self.request, self.template_name, context, status=409)
        return None

    def get(self, request, token: str):
        plan, now = self.plan, timezone.now()
        refused = self.refusal()
        if refused is not None:
            return refused
        access_end = plan_cancel_access_end(plan, now)
        context = {
            "plan": plan,
            "remaining": plan.charges.filter(status__in=UNPAID).order_by("sequence"),
            "access_end": access_end,
            # A payment due and not taken: no period paid for is left (as on "My program").
            "ends_now": access_end <= now,
        }
        return render(request, self.template_name, context)

    def post(self, request, token: str):
        refused = self.refusal()
        if refused is not None:
            return refused
        try:
            plan, changed = plan_payments_cancel(
                plan_id=self.plan.pk, actor=None, actor_label="customer (email link)"
            )
        except PlanActionNotAllowed as exc:
            context = {"plan": self.plan, "error": exc.user_message}
            return render(request, self.template_name, context, status=409)
        context = {"plan": plan, "done": True, "changed": changed}
        return render(request, self.template_name, context)


def _nothing_to_cancel(plan: InstallmentPlan) -> str:
    if plan.status == PlanStatus.PAID_IN_FULL:
        return "Nothing to cancel: this program is paid in full."
    if plan.status == PlanStatus.REFUNDED:
        return "Nothing to cancel: this order was refunded, so nothing more will be charged."
    return (
        f"The payments of a plan that is “{plan.get_status_display()}” cannot be cancelled "
        "here. Log in and open “My program” to see what you can do."
    )


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


class StaffPlanActionView(RedirectView):
    """The old address of the author's actions, from before the back office: the same action
    now lives on the plan's page in the CMS, which checks who may use it."""

    permanent = False

    def get_redirect_url(self, *args, action: str, pk: int, **kwargs):
        return reverse("programs:action", args=(action, pk))


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
