"""A refund and a charge of the same plan at the same moment: the refund waits for the
charge, and a payment Stripe takes for a plan refunded meanwhile is given back, once."""

import json
import threading
import time

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client

from shop import gateway
from shop.billing.models import ChargeStatus, InstallmentRefund, PlanStatus, RefundStatus
from shop.billing.refunds import installment_refund
from shop.billing.scheduler import billing_run
from shop.billing.transitions import MoveRefused
from tests.shop.billing_helpers import day, intents_of, signed_event_post
from tests.shop.standin import standin_delay

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DELAY = 4.0


def charge_in_background(now) -> tuple[threading.Thread, dict]:
    """A billing run charging installment 2 in another thread (its own connection)."""
    outcome: dict = {}

    def run():
        try:
            outcome["report"] = billing_run(now=now)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def wait_until_processing(charge, timeout=DELAY):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        charge.refresh_from_db()
        if charge.status == ChargeStatus.PROCESSING:
            return
        time.sleep(0.05)
    raise AssertionError("installment 2 was never claimed")


def test_a_refund_during_a_charge_waits_and_the_customer_is_not_charged_after_it(
    make_plan, billing_standin
):
    plan = make_plan()
    first, second = plan.charges.order_by("sequence")
    with time_machine.travel(day(14), tick=False):
        billing_run(now=day(14))
    first.refresh_from_db()
    assert first.status == ChargeStatus.PAID

    with time_machine.travel(day(42), tick=True):
        with standin_delay(billing_standin, "POST /v1/payment_intents", DELAY):
            thread, outcome = charge_in_background(day(42))
            wait_until_processing(second)
            # the author refunds installment 1 in full while installment 2 is being charged
            with pytest.raises(MoveRefused, match="being taken right now"):
                installment_refund(charge_id=first.pk)
            thread.join(timeout=30)
        assert outcome["report"].charged == {second.pk: "succeeded"}
        # once recorded, the refund goes through and refunds the plan
        assert installment_refund(charge_id=first.pk) == 9850

    plan.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert plan.status == PlanStatus.REFUNDED
    assert first.status == ChargeStatus.REFUNDED and second.status == ChargeStatus.PAID
    succeeded = [i.payment_intent_id for i in intents_of(plan) if i.status == "succeeded"]
    assert sorted(succeeded) == sorted([first.payment_intent_id, second.payment_intent_id])


def post_signed(type_: str, obj: dict):
    return signed_event_post(Client(), type_, obj)


def test_a_payment_taken_after_a_refund_in_stripe_is_refunded_automatically_once(
    make_plan, billing_standin
):
    plan = make_plan()
    first, second = plan.charges.order_by("sequence")
    with time_machine.travel(day(14), tick=False):
        billing_run(now=day(14))
    first.refresh_from_db()

    with time_machine.travel(day(42), tick=True):
        with standin_delay(billing_standin, "POST /v1/payment_intents", DELAY):
            thread, outcome = charge_in_background(day(42))
            wait_until_processing(second)
            # meanwhile the author refunds installment 1 in Stripe's own dashboard
            refund = gateway.refund_create(
                payment_intent_id=first.payment_intent_id,
                amount_cents=None,
                metadata={},
                idempotency_key="dashboard-refund",
            )
            charge_object = {
                "id": "ch_dashboard",
                "object": "charge",
                "payment_intent": first.payment_intent_id,
                "amount": 9850,
                "amount_refunded": refund.amount_cents,
                "refunded": True,
            }
            assert post_signed("charge.refunded", charge_object).status_code == 200
            plan.refresh_from_db()
            assert plan.status == PlanStatus.REFUNDED
            thread.join(timeout=30)
        assert outcome["report"].charged == {second.pk: "succeeded"}

        # Stripe's webhook about the late payment, delivered twice: nothing more happens
        second.refresh_from_db()
        late = {"id": second.payment_intent_id, "object": "payment_intent", "metadata": {}}
        assert post_signed("payment_intent.succeeded", late).status_code == 200
        assert post_signed("payment_intent.succeeded", late).status_code == 200

    plan.refresh_from_db()
    second.refresh_from_db()
    assert plan.status == PlanStatus.REFUNDED
    assert second.status == ChargeStatus.REFUNDED and second.refunded_cents == 9850
    automatic = InstallmentRefund.objects.get(charge=second)
    assert automatic.reason == InstallmentRefund.Reason.LATE_PAYMENT
    assert automatic.status == RefundStatus.SUCCEEDED
    # shown to the author on the plan's events
    assert plan.events.filter(kind="late_payment_refunding").count() == 1
    # the money: taken twice at Stripe, both given back; the order agrees
    source = plan.order.sources.get()
    assert source.amount_debited == source.amount_refunded
    assert str(source.amount_refunded) == "197.00"
    # the late payment is refunded at the stand-in exactly once
    intent = gateway.payment_intent_retrieve(second.payment_intent_id)
    assert intent.status == "succeeded"
    assert refunded_at_standin(billing_standin, second.payment_intent_id) == 9850


def refunded_at_standin(base: str, intent_id: str) -> int:
    import urllib.request

    request = urllib.request.Request(
        f"{base}/v1/refunds?limit=100",
        headers={"Authorization": f"Bearer {settings.STRIPE_SECRET_KEY}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        refunds = json.loads(response.read())["data"]
    return sum(r["amount"] for r in refunds if r.get("payment_intent") == intent_id)
