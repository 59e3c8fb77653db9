from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from shop.billing.models import InstallmentPlan
from shop.billing.services import PlanActionNotAllowed, plan_trial_quit


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
