"""Stripe webhooks: verified, stored once, idempotent with the scheduler's own recording."""

import json
import time
import uuid
from decimal import Decimal

import pytest
from django.conf import settings
from oscar.core.loading import get_model

from shop.billing.charging import charge_installment
from shop.billing.models import InstallmentPlan, ScheduledCharge, StripeEvent
from shop.downloads.models import DownloadGrant
from shop.gateway.testing import webhook_signature_header
from tests.shop.billing_helpers import charged_without_recording, day

PaymentEvent = get_model("order", "PaymentEvent")

pytestmark = pytest.mark.django_db

URL = "/shop/stripe/webhook/"


def post_event(client, type_: str, obj: dict, *, event_id=None, secret=None):
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
        URL, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )


def test_a_forged_or_unsigned_webhook_is_refused_and_nothing_is_stored(client, make_plan):
    plan = make_plan()
    charge, intent_id = charged_without_recording(plan)
    obj = {"id": intent_id, "object": "payment_intent", "metadata": {"charge_id": str(charge.pk)}}
    forged = post_event(client, "payment_intent.succeeded", obj, secret="whsec_not_ours")
    assert forged.status_code == 400
    unsigned = client.post(URL, data=b"{}", content_type="application/json")
    assert unsigned.status_code == 400
    assert not StripeEvent.objects.exists()
    charge.refresh_from_db()
    assert charge.status == ScheduledCharge.Status.PROCESSING


def test_payment_intent_succeeded_records_once_through_replays_and_out_of_order(client, make_plan):
    plan = make_plan()
    charge, intent_id = charged_without_recording(plan)
    obj = {
        "id": intent_id,
        "object": "payment_intent",
        "status": "succeeded",
        "metadata": {"charge_id": str(charge.pk), "plan_id": str(plan.pk), "attempt": "1"},
    }
    first = post_event(client, "payment_intent.succeeded", obj, event_id="evt_paid_1")
    assert first.status_code == 200 and first.content == b"succeeded: recorded"
    charge.refresh_from_db()
    assert charge.status == ScheduledCharge.Status.PAID and charge.payment_intent_id == intent_id
    plan.refresh_from_db()
    assert plan.status == InstallmentPlan.Status.INSTALLMENT_PAID

    replay = post_event(client, "payment_intent.succeeded", obj, event_id="evt_paid_1")
    assert replay.content == b"duplicate"
    again = post_event(client, "payment_intent.succeeded", obj)
    assert again.content == b"succeeded: already recorded"
    # A stale failure arriving late changes nothing either (the PaymentIntent is re-read).
    late = post_event(client, "payment_intent.payment_failed", obj)
    assert late.status_code == 200
    # Nor does the scheduler's own run afterwards.
    assert charge_installment(charge_id=charge.pk, now=day(14, 1)).outcome == "skipped"

    assert plan.order.sources.get().amount_debited == Decimal("98.50")
    assert PaymentEvent.objects.filter(order=plan.order, event_type__name="Installment 1 paid")
    assert PaymentEvent.objects.filter(order=plan.order).exclude(amount=0).count() == 1
    assert StripeEvent.objects.count() == 3


def test_charge_refunded_refunds_the_plan_and_ends_the_download(client, make_plan):
    plan = make_plan()
    charge = plan.charges.get(sequence=1)
    assert charge_installment(charge_id=charge.pk, now=day(14)).outcome == "succeeded"
    charge.refresh_from_db()
    obj = {
        "id": "ch_refunded_1",
        "object": "charge",
        "payment_intent": charge.payment_intent_id,
        "amount": 9850,
        "amount_refunded": 9850,
        "refunded": True,
    }
    response = post_event(client, "charge.refunded", obj, event_id="evt_refund_1")
    assert response.content == b"refund recorded"
    assert post_event(client, "charge.refunded", obj).content == b"already recorded"

    charge.refresh_from_db()
    plan.refresh_from_db()
    assert charge.status == ScheduledCharge.Status.REFUNDED and charge.refunded_cents == 9850
    assert plan.status == InstallmentPlan.Status.REFUNDED
    assert plan.order.status == "Refunded"
    assert plan.charges.get(sequence=2).status == ScheduledCharge.Status.CANCELLED
    refund = PaymentEvent.objects.get(order=plan.order, event_type__name="Refunded")
    assert refund.amount == Decimal("98.50")
    assert plan.order.sources.get().amount_refunded == Decimal("98.50")
    grant = DownloadGrant.objects.get(order=plan.order)
    assert grant.ends_at is not None and not grant.is_active()


def test_disputes_are_noted_setup_intents_noted_and_unknown_types_ignored(client, make_plan):
    plan = make_plan()
    charge = plan.charges.get(sequence=1)
    charge_installment(charge_id=charge.pk, now=day(14))
    charge.refresh_from_db()
    dispute = {
        "id": "dp_1",
        "object": "dispute",
        "payment_intent": charge.payment_intent_id,
        "reason": "fraudulent",
    }
    assert post_event(client, "charge.dispute.created", dispute).content == b"dispute recorded"
    assert plan.events.get(kind="dispute_opened").actor_label == "stripe"

    setup = {"id": plan.stripe_setup_intent_id, "object": "setup_intent"}
    assert post_event(client, "setup_intent.succeeded", setup).content == b"noted"

    unknown = post_event(client, "customer.created", {"id": "cus_1", "object": "customer"})
    assert unknown.status_code == 200 and unknown.content == b"ignored"


def test_payment_failed_records_a_decline_the_scheduler_never_recorded(client, make_plan):
    plan = make_plan(card_number="4000000000000341")
    charge, intent_id = charged_without_recording(plan)
    assert intent_id
    obj = {
        "id": intent_id,
        "object": "payment_intent",
        "metadata": {"charge_id": str(charge.pk), "plan_id": str(plan.pk), "attempt": "1"},
    }
    response = post_event(client, "payment_intent.payment_failed", obj)
    assert response.content == b"failed: recorded"
    charge.refresh_from_db()
    assert charge.status == ScheduledCharge.Status.FAILED and charge.next_attempt_at
    plan.refresh_from_db()
    assert plan.status == InstallmentPlan.Status.PAYMENT_FAILED
    assert post_event(client, "payment_intent.payment_failed", obj).content == (
        b"failed: already recorded"
    )
