"""Factories for the shop: the downloadable program and its trial terms."""

from decimal import Decimal

from oscar.test.factories import create_product

from shop.billing.models import TrialOffer


def program_with_trial(
    *,
    title: str = "Get Free from That Back Pain",
    installment_amount: Decimal = Decimal("98.50"),
    installment_count: int = 2,
    trial_days: int = 14,
    interval_days: int = 28,
):
    """A public, downloadable product sold as a free tryout then equal installments."""
    product = create_product(
        title=title, price=installment_amount * installment_count, num_in_stock=None
    )
    product_class = product.get_product_class()
    product_class.requires_shipping = False
    product_class.track_stock = False
    product_class.save()
    TrialOffer.objects.create(
        product=product,
        trial_days=trial_days,
        installment_count=installment_count,
        installment_amount=installment_amount,
        interval_days=interval_days,
    )
    return product
