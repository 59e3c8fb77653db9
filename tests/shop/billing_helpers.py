"""Shared set-up for the billing tests: the stand-in, the program, a reader, a plan."""

import threading
from datetime import UTC, datetime, timedelta

import time_machine
from django.db import connection

from shop import gateway
from shop.billing.models import ChargeStatus, ScheduledCharge
from shop.billing.scheduler import billing_run

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


def charge_at_standin(plan, charge, attempt: str = "1") -> gateway.ChargeResult:
    """Charge an installment at the stand-in as the billing run would, recording nothing."""
    return gateway.charge_off_session(
        customer_id=plan.stripe_customer_id,
        payment_method_id=plan.stripe_payment_method_id,
        amount_cents=charge.amount_cents,
        currency=charge.currency.lower(),
        metadata={"charge_id": str(charge.pk), "plan_id": str(plan.pk), "attempt": attempt},
        idempotency_key=f"charge-{charge.pk}-attempt-{attempt}",
    )


def charged_without_recording(plan) -> tuple[ScheduledCharge, str]:
    """Installment 1 as a billing run leaves it when it dies between charging and recording:
    claimed (processing, attempt 1) and charged at the stand-in, its outcome never recorded.
    Returns the installment and the PaymentIntent's id."""
    charge = plan.charges.get(sequence=1)
    ScheduledCharge.objects.filter(pk=charge.pk).update(
        status=ChargeStatus.PROCESSING, attempts=1, processing_started_at=day(14)
    )
    result = charge_at_standin(plan, charge)
    return charge, result.payment_intent_id


WEBHOOK_URL = "/shop/stripe/webhook/"


def signed_event_post(client, type_: str, obj: dict, *, event_id=None, secret=None):
    """Post an event to our webhook endpoint signed as Stripe signs it (the stand-in sends
    only a few kinds; tests build the others, and replays, this way)."""
    import json
    import time
    import uuid

    from django.conf import settings

    from shop.gateway.testing import webhook_signature_header

    payload = json.dumps(
        {
            "id": event_id or f"evt_{uuid.uuid4().hex[:16]}",
            "object": "event",
            "type": type_,
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": obj},
        }
    ).encode()
    header = webhook_signature_header(payload, secret=secret or settings.STRIPE_WEBHOOK_SECRET)
    return client.post(
        WEBHOOK_URL, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )


def two_billing_runs_at(at: datetime) -> list:
    """Two billing runs started at the same instant in two threads, each on its own database
    connection, the clock at ``at``: their reports. Any error in either fails the test."""
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            with time_machine.travel(at, tick=False):
                reports.append(billing_run(now=at))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return reports
