import logging

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from shop import gateway
from shop.billing.models import InstallmentPlan
from shop.billing.reminders import QuitLinkInvalid, quit_link_plan
from shop.billing.services import PlanActionNotAllowed, plan_trial_quit
from shop.billing.webhooks import stripe_event_handle

logger = logging.getLogger(__name__)


class ProgramView(LoginRequiredMixin, TemplateView):
    """ "My program": the customer's plans, their payments, and the quit button."""

    template_name = "shop/billing/program.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["plans"] = (
            InstallmentPlan.objects.filter(user=self.request.user)
            .select_related("order", "product")
            .prefetch_related("charges")
        )
        return context


class TrialQuitView(LoginRequiredMixin, View):
    def post(self, request, plan_id: int):
        if not InstallmentPlan.objects.filter(pk=plan_id, user=request.user).exists():
            raise Http404
        try:
            plan, changed = plan_trial_quit(plan_id=plan_id, actor=request.user)
        except PlanActionNotAllowed as exc:
            messages.error(request, exc.user_message)
        else:
            if changed:
                messages.success(
                    request,
                    "You have quit the free tryout. Nothing will be charged. You can keep "
                    f"downloading until {plan.trial_ends_at:%B} {plan.trial_ends_at.day}.",
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
        return HttpResponse("provider unavailable, send again", status=503)
    logger.info("webhook %s %s: %s", event.type, event.id, result)
    return HttpResponse(result)
