"""Many installment plans written in a few queries, for tests and benchmarks.

``plans_in_bulk`` writes what checkout writes for each plan (order, payment source, plan,
installments, consent, download grant, first event) with ``bulk_create``, sharing one saved
card (``tests.shop.factories.saved_card_for_tests``), so thousands of plans take seconds.
Trial claims are left out: they would refuse a second tryout with the shared card, which is
their job.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from oscar.core.loading import get_model

from shop.billing.models import (
    InstallmentPlan,
    PlanEvent,
    ScheduledCharge,
    TrialConsent,
)
from shop.billing.money import minor_units
from shop.billing.services import SavedCard
from shop.downloads.models import DownloadGrant

Order = get_model("order", "Order")
Source = get_model("payment", "Source")
SourceType = get_model("payment", "SourceType")

BATCH = 1000


@dataclass(frozen=True)
class BulkPlans:
    users: list
    orders: list
    plans: list[InstallmentPlan]


def users_in_bulk(*, prefix: str, count: int) -> list:
    """``count`` customers named ``<prefix>-<n>`` who cannot log in with a password."""
    User = get_user_model()
    unusable = make_password(None)  # hashed once: hashing each would take minutes at 10k
    User.objects.bulk_create(
        (
            User(
                username=f"{prefix}-{n}",
                email=f"{prefix}-{n}@example.com",
                first_name="Reader",
                password=unusable,
            )
            for n in range(count)
        ),
        batch_size=BATCH,
    )
    return list(User.objects.filter(username__startswith=f"{prefix}-").order_by("pk"))


def plans_in_bulk(
    *,
    product,
    card: SavedCard,
    start: datetime,
    count: int | None = None,
    users: list | None = None,
    prefix: str = "bulk",
) -> BulkPlans:
    """Plans in their tryout started at ``start``, one per user (``users``, or ``count``
    new ones), each with its order and installments as checkout leaves them."""
    offer = product.trial_offer
    if users is None:
        users = users_in_bulk(prefix=prefix, count=count or 0)
    amount_cents = minor_units(offer.installment_amount, offer.currency)
    total = offer.total
    trial_ends_at = start + timedelta(days=offer.trial_days)
    source_type, _ = SourceType.objects.get_or_create(name="Stripe")
    with transaction.atomic():
        orders = Order.objects.bulk_create(
            (
                Order(
                    number=f"{prefix}-{n}",
                    site_id=1,
                    user=user,
                    currency=offer.currency,
                    total_incl_tax=total,
                    total_excl_tax=total,
                    status="Free tryout",
                    date_placed=start,
                )
                for n, user in enumerate(users)
            ),
            batch_size=BATCH,
        )
        Source.objects.bulk_create(
            (
                Source(
                    order=order,
                    source_type=source_type,
                    currency=order.currency,
                    amount_allocated=total,
                    amount_debited=Decimal("0.00"),
                    reference=card.payment_method_id,
                    label=f"{card.brand} ····{card.last4}",
                )
                for order in orders
            ),
            batch_size=BATCH,
        )
        plans = InstallmentPlan.objects.bulk_create(
            (
                InstallmentPlan(
                    order=order,
                    user=order.user,
                    product=product,
                    trial_started_at=start,
                    trial_ends_at=trial_ends_at,
                    currency=offer.currency,
                    installment_amount_cents=amount_cents,
                    installment_count=offer.installment_count,
                    interval_days=offer.interval_days,
                    total_cents=minor_units(total, offer.currency),
                    stripe_customer_id=card.customer_id,
                    stripe_payment_method_id=card.payment_method_id,
                    # One plan per SetupIntent is the rule; the shared card gets a suffix.
                    stripe_setup_intent_id=f"{card.setup_intent_id}-{prefix}-{n}",
                    card_fingerprint=card.fingerprint,
                    card_brand=card.brand,
                    card_last4=card.last4,
                )
                for n, order in enumerate(orders)
            ),
            batch_size=BATCH,
        )
        ScheduledCharge.objects.bulk_create(
            (
                ScheduledCharge(
                    plan=plan,
                    sequence=number,
                    due_at=trial_ends_at + timedelta(days=offer.interval_days * (number - 1)),
                    amount_cents=amount_cents,
                    currency=offer.currency,
                )
                for plan in plans
                for number in range(1, offer.installment_count + 1)
            ),
            batch_size=BATCH,
        )
        TrialConsent.objects.bulk_create(
            (
                TrialConsent(order=order, text="I agree (bulk).", accepted_at=start)
                for order in orders
            ),
            batch_size=BATCH,
        )
        DownloadGrant.objects.bulk_create(
            (
                DownloadGrant(user=order.user, product=product, order=order, starts_at=start)
                for order in orders
            ),
            batch_size=BATCH,
        )
        PlanEvent.objects.bulk_create(
            (PlanEvent(plan=plan, kind="trial_started", actor_label="customer") for plan in plans),
            batch_size=BATCH,
        )
    return BulkPlans(users=users, orders=orders, plans=plans)
