"""The program on sale, with its tryout and installment terms, for other front ends.

Starting a tryout stays on the site's checkout (see the README): the API only reads."""

from drf_spectacular.utils import extend_schema
from oscar.core.loading import get_model
from rest_framework import generics, serializers

from config.api import ErrorSerializer, ExactFieldFilter, ItemsPagination
from shop.billing.selectors import trial_terms_for_product


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
    authentication_classes = []
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
