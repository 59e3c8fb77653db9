"""The customer's personal data in their account: "My data" (download it) and deleting
the account. Thin views over ``personal_data`` and ``account_deletion``."""

import json

from django.contrib.auth import logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views import View
from django.views.generic import TemplateView
from oscar.apps.customer import views as oscar_views

from shop.accounts.account_deletion import AccountDeletionRefused, account_delete
from shop.accounts.personal_data import personal_data_export, personal_data_filename

NO_STORE = "private, no-store"


class MyDataView(LoginRequiredMixin, TemplateView):
    """ "My data": what we keep, the download button and the way to delete the account."""

    template_name = "shop/accounts/my_data.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page_title"] = "My data"
        context["active_tab"] = "my-data"
        return context


class MyDataDownloadView(LoginRequiredMixin, View):
    """The customer's data as a JSON file named for today."""

    def get(self, request):
        data = personal_data_export(user=request.user)
        response = HttpResponse(
            json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
            content_type="application/json; charset=utf-8",
        )
        filename = personal_data_filename(on=timezone.now().date())
        response["Content-Disposition"] = content_disposition_header(True, filename)
        response["Cache-Control"] = NO_STORE
        return response


class AccountDeleteView(LoginRequiredMixin, View):
    """Says what deleting the account does, asks for the password, then deletes it."""

    template_name = "shop/accounts/account_delete.html"

    def _page(self, request, *, error: str = "", status: int = 200):
        context = {"page_title": "Delete my account", "active_tab": "my-data", "error": error}
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        return self._page(request)

    def post(self, request):
        try:
            account_delete(user_id=request.user.pk, password=request.POST.get("password", ""))
        except AccountDeletionRefused as exc:
            return self._page(request, error=exc.user_message, status=400)
        logout(request)
        return redirect("personal_data:deleted")


def account_deleted(request):
    """The page shown once the account is gone (the customer is signed out)."""
    return render(request, "shop/accounts/account_deleted.html", {"page_title": "Account deleted"})


class OrderHistoryView(oscar_views.OrderHistoryView):
    """Oscar's order history, each order read with its plan and payments at once (the page
    says what was paid and what is due later, shop.billing.selectors.order_money)."""

    page_title = "Order history"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("installment_plan")
            .prefetch_related("installment_plan__charges")
        )


# Oscar's other account pages under the names the account menu gives them.
class EmailsReceivedView(oscar_views.EmailHistoryView):
    page_title = "Emails received"


class ChangePasswordView(oscar_views.ChangePasswordView):
    page_title = "Change password"


class ProfileUpdateView(oscar_views.ProfileUpdateView):
    page_title = "Edit profile"
