"""The program on sale, with its tryout and installment terms, for other front ends.

Starting a tryout stays on the site's checkout (see the README): the API only reads."""

from decimal import Decimal

from django.urls import reverse
from django.utils.cache import patch_cache_control
from drf_spectacular.utils import extend_schema
from oscar.core.loading import get_model
from rest_framework import generics, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated

from shop.billing.confirm_links import confirm_link_path
from shop.billing.models import ChargeStatus, InstallmentPlan
from shop.billing.money import from_minor_units
from shop.billing.selectors import trial_terms_for_product
from web.api import ErrorSerializer, ExactFieldFilter, ItemsPagination


class TrialProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField(help_text="The product's page in the shop.")
    price = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="The price the shop lists."
    )
    currency = serializers.CharField()
    trial_days = serializers.IntegerField()
    installment_count = serializers.IntegerField()
    installment_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    interval_days = serializers.IntegerField()
    total = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="All installments together."
    )
    available = serializers.BooleanField()

    def to_representation(self, product):
        terms = trial_terms_for_product(product)
        records = list(product.stockrecords.all())
        price = records[0].price if records and records[0].price is not None else terms.total
        return super().to_representation(
            {
                "id": product.pk,
                "title": terms.product_title,
                "url": self.context["request"].build_absolute_uri(terms.product_url),
                "price": price,
                "currency": terms.currency,
                "trial_days": terms.trial_days,
                "installment_count": terms.installment_count,
                "installment_amount": terms.installment_amount,
                "interval_days": terms.interval_days,
                "total": terms.total,
                "available": terms.available,
            }
        )


class TrialProductMixin:
    # Public data: the same answer for everyone, so no sign-in is read.
    authentication_classes: list[type] = []
    serializer_class = TrialProductSerializer
    pagination_class = ItemsPagination
    filter_backends = [ExactFieldFilter]

    def get_queryset(self):
        # Public products sold on a trial; hidden ones are not shown to other front ends.
        return (
            get_model("catalogue", "Product")
            .objects.browsable()
            .filter(trial_offer__isnull=False)
            .select_related("trial_offer")
            .prefetch_related("stockrecords")
            .order_by("pk")
        )


@extend_schema(
    responses={
        200: TrialProductSerializer(many=True),
        400: ErrorSerializer,
        429: ErrorSerializer,
    }
)
class TrialProductListView(TrialProductMixin, generics.ListAPIView):
    """Programs on sale with a free tryout, then installments."""


@extend_schema(
    responses={
        200: TrialProductSerializer,
        400: ErrorSerializer,
        404: ErrorSerializer,
        429: ErrorSerializer,
    }
)
class TrialProductDetailView(TrialProductMixin, generics.RetrieveAPIView):
    pass


def _cents(amount: int, currency: str) -> Decimal:
    return from_minor_units(amount, currency)


class PlanChargeSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    due_at = serializers.DateTimeField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    status = serializers.CharField()
    paid_at = serializers.DateTimeField(allow_null=True)
    confirm_by = serializers.DateTimeField(
        allow_null=True, help_text="Awaiting confirmation: the customer can confirm until then."
    )
    confirm_url = serializers.CharField(
        allow_null=True,
        help_text="Awaiting confirmation: the site's page where the customer confirms it.",
    )


def _confirmation(request, charge) -> dict:
    """Where and until when a payment the bank asks about can be confirmed (on the site:
    the bank's check runs in the customer's browser there)."""
    if charge.status != ChargeStatus.AWAITING_CONFIRMATION:
        return {"confirm_by": None, "confirm_url": None}
    return {
        "confirm_by": charge.confirm_by,
        "confirm_url": request.build_absolute_uri(confirm_link_path(charge)),
    }


class InstallmentPlanSerializer(serializers.Serializer):
    """A signed-in customer's plan: what they agreed to and where it stands."""

    id = serializers.IntegerField()
    order_number = serializers.CharField()
    product_title = serializers.CharField()
    status = serializers.CharField()
    status_display = serializers.CharField()
    in_trial = serializers.BooleanField()
    with_trial = serializers.BooleanField()
    trial_started_at = serializers.DateTimeField()
    trial_ends_at = serializers.DateTimeField()
    currency = serializers.CharField()
    installment_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    installment_count = serializers.IntegerField()
    interval_days = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    charges = PlanChargeSerializer(many=True)
    manage_url = serializers.CharField(help_text="The site's page where the plan is managed.")

    def to_representation(self, plan):
        request = self.context["request"]
        return super().to_representation(
            {
                "id": plan.pk,
                "order_number": plan.order.number,
                "product_title": plan.product.get_title(),
                "status": plan.status,
                "status_display": plan.get_status_display(),
                "in_trial": plan.in_trial,
                "with_trial": plan.with_trial,
                "trial_started_at": plan.trial_started_at,
                "trial_ends_at": plan.trial_ends_at,
                "currency": plan.currency,
                "installment_amount": _cents(plan.installment_amount_cents, plan.currency),
                "installment_count": plan.installment_count,
                "interval_days": plan.interval_days,
                "total": _cents(plan.total_cents, plan.currency),
                "charges": [
                    {
                        "sequence": charge.sequence,
                        "due_at": charge.due_at,
                        "amount": _cents(charge.amount_cents, charge.currency),
                        "status": charge.status,
                        "paid_at": charge.paid_at,
                        **_confirmation(request, charge),
                    }
                    for charge in plan.charges.all()
                ],
                # Quitting the tryout stays on the site, where its consequences are shown.
                "manage_url": request.build_absolute_uri(reverse("billing:program")),
            }
        )


@extend_schema(
    responses={
        200: InstallmentPlanSerializer(many=True),
        400: ErrorSerializer,
        403: ErrorSerializer,
        429: ErrorSerializer,
    }
)
class CustomerPlanListView(generics.ListAPIView):
    """The signed-in customer's own installment plans, newest first, with their payments."""

    serializer_class = InstallmentPlanSerializer
    pagination_class = ItemsPagination
    filter_backends = [ExactFieldFilter]
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return (
            InstallmentPlan.objects.filter(user=self.request.user)
            .select_related("order", "product")
            .prefetch_related("charges")
            .order_by("-created_at", "-pk")
        )

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # One customer's data: never kept by a shared cache or the browser's.
        patch_cache_control(response, private=True, no_store=True)
        return response
