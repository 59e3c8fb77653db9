"""Factories for the shop: the downloadable program and its trial terms."""

from decimal import Decimal

from oscar.test.factories import create_product

from shop.billing.models import TrialOffer
from shop.billing.testing import saved_card_for_tests


def program_with_trial(
    *,
    title: str = "Get Free from That Back Pain",
    installment_amount: Decimal = Decimal("98.50"),
    installment_count: int = 2,
    trial_days: int = 14,
    interval_days: int = 28,
    currency: str = "USD",
):
    """A public, downloadable product sold as a free tryout then equal installments."""
    product = create_product(
        title=title, price=installment_amount * installment_count, num_in_stock=None
    )
    product.stockrecords.update(price_currency=currency)
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
        currency=currency,
    )
    return product


def plan_for_tests(*, user, product, start, card_number: str = "4242424242424242"):
    """An Oscar order for the program with its installment plan, started at ``start`` with
    a real card saved at the stand-in (faster than going through the checkout pages)."""
    from django.db import transaction
    from oscar.core.loading import get_class, get_model
    from oscar.test.factories import create_order

    from shop.billing.services import ConsentRecord, plan_start

    Basket = get_model("basket", "Basket")
    Source = get_model("payment", "Source")
    SourceType = get_model("payment", "SourceType")
    Default = get_class("partner.strategy", "Default")

    card = saved_card_for_tests(user=user, card_number=card_number)
    offer = product.trial_offer
    with transaction.atomic():
        basket = Basket.objects.create(owner=user)
        basket.strategy = Default()
        basket.add_product(product)
        order = create_order(user=user, basket=basket)
        source_type, _ = SourceType.objects.get_or_create(name="Stripe")
        Source.objects.create(
            order=order,
            source_type=source_type,
            currency=order.currency,
            amount_allocated=order.total_incl_tax,
            amount_debited=Decimal("0.00"),
            reference=card.payment_method_id,
            label=f"{card.brand} ····{card.last4}",
        )
        return plan_start(
            order=order,
            user=user,
            offer=offer,
            card=card,
            consent=ConsentRecord(
                text="I agree (test).",
                accepted_at=start,
                ip_address="127.0.0.1",
                user_agent="tests",
                country="US",
                immediate_access_requested=False,
                immediate_access_text="",
            ),
            start=start,
        )
