"""Shared set-up for the billing tests: the stand-in, the program, a reader, a plan."""

from datetime import UTC, datetime, timedelta

from shop import gateway

DAY0 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def day(n: int, hours: float = 0) -> datetime:
    """``n`` days (and hours) after the order was placed."""
    return DAY0 + timedelta(days=n, hours=hours)


def intents_of(plan) -> list[gateway.ChargeResult]:
    """Every PaymentIntent made for the plan at the stand-in."""
    return gateway.payment_intents_for(
        customer_id=plan.stripe_customer_id, metadata_key="plan_id", metadata_value=str(plan.pk)
    )


def succeeded_cents(plan) -> int:
    return sum(i.amount_cents for i in intents_of(plan) if i.status == "succeeded")
