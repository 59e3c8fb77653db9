"""Stripe webhooks: verified, stored once, idempotent with the scheduler's own recording."""

import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from oscar.core.loading import get_model

from shop.billing.charging import charge_installment
from shop.billing.models import ChargeStatus, Dispute, PlanStatus, ScheduledCharge, StripeEvent
from shop.downloads.models import DownloadGrant
from tests.shop.billing_helpers import charged_without_recording, day, signed_event_post

PaymentEvent = get_model("order", "PaymentEvent")

pytestmark = pytest.mark.django_db

URL = "/shop/stripe/webhook/"


def post_event(client, type_: str, obj: dict, *, event_id=None, secret=None):
    return signed_event_post(client, type_, obj, event_id=event_id, secret=secret)


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
    assert charge.status == ChargeStatus.PROCESSING


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
    assert charge.status == ChargeStatus.PAID and charge.payment_intent_id == intent_id
    plan.refresh_from_db()
    assert plan.status == PlanStatus.INSTALLMENT_PAID

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
    assert charge.status == ChargeStatus.REFUNDED and charge.refunded_cents == 9850
    assert plan.status == PlanStatus.REFUNDED
    assert plan.order.status == "Refunded"
    assert plan.charges.get(sequence=2).status == ChargeStatus.CANCELLED
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
    recorded = Dispute.objects.get(dispute_id="dp_1")
    assert (recorded.plan, recorded.charge, recorded.reason) == (plan, charge, "fraudulent")

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
    assert charge.status == ChargeStatus.FAILED and charge.next_attempt_at
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PAYMENT_FAILED
    assert post_event(client, "payment_intent.payment_failed", obj).content == (
        b"failed: already recorded"
    )


def succeeded_payload(charge, intent_id: str) -> dict:
    return {
        "id": intent_id,
        "object": "payment_intent",
        "status": "succeeded",
        "metadata": {"charge_id": str(charge.pk), "plan_id": str(charge.plan_id), "attempt": "1"},
    }


def test_a_payment_intent_stripe_does_not_know_is_stored_logged_and_answered_200(
    client, make_plan, caplog
):
    plan = make_plan()
    charge = plan.charges.get(sequence=1)
    obj = succeeded_payload(charge, "pi_never_made_here")

    response = post_event(client, "payment_intent.succeeded", obj, event_id="evt_unknown_pi")

    # Stripe would send it again for days; no retry can make the PaymentIntent exist.
    assert response.status_code == 200
    stored = StripeEvent.objects.get(event_id="evt_unknown_pi")
    assert stored.processed_at is not None
    assert "not found at Stripe" in stored.result and "pi_never_made_here" in stored.result
    assert response.content.decode() == stored.result
    assert any("pi_never_made_here" in r.getMessage() for r in caplog.records)
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.SCHEDULED and not charge.payment_intent_id
    again = post_event(client, "payment_intent.succeeded", obj, event_id="evt_unknown_pi")
    assert again.status_code == 200 and again.content == b"duplicate"


def test_the_gateway_tells_a_missing_object_from_an_unreachable_stripe(billing_standin, settings):
    from shop import gateway
    from tests.support.processes import free_port

    with pytest.raises(gateway.ProviderObjectMissing) as missing:
        gateway.payment_intent_retrieve("pi_never_made_here")
    assert missing.value.code == "resource_missing"
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(gateway.PaymentProviderUnavailable):
        gateway.payment_intent_retrieve("pi_never_made_here")


class _FailingStripe(BaseHTTPRequestHandler):
    """Stripe having a bad moment: every request gets a 500."""

    def do_GET(self):
        body = b'{"error": {"type": "api_error", "message": "Something went wrong"}}'
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def failing_stripe():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FailingStripe)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("trouble", ["unreachable", "server error"])
def test_when_stripe_cannot_answer_the_event_waits_unprocessed_for_the_retry(
    client, make_plan, settings, failing_stripe, trouble
):
    from tests.support.processes import free_port

    plan = make_plan()
    charge, intent_id = charged_without_recording(plan)
    obj = succeeded_payload(charge, intent_id)
    standin = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = (
        f"http://127.0.0.1:{free_port()}" if trouble == "unreachable" else failing_stripe
    )

    response = post_event(client, "payment_intent.succeeded", obj, event_id="evt_later")

    assert response.status_code == 503
    assert StripeEvent.objects.get(event_id="evt_later").processed_at is None
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.PROCESSING

    settings.STRIPE_API_BASE = standin
    retry = post_event(client, "payment_intent.succeeded", obj, event_id="evt_later")
    assert retry.status_code == 200 and retry.content == b"succeeded: recorded"
    assert StripeEvent.objects.get(event_id="evt_later").processed_at is not None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_when_our_database_is_locked_the_event_waits_unprocessed_for_the_retry(client, make_plan):
    from django.db import connection, connections, transaction

    plan = make_plan()
    charge, intent_id = charged_without_recording(plan)
    obj = succeeded_payload(charge, intent_id)
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock():
        # Another worker (the billing clock, a refund) holding the installment's row.
        try:
            with transaction.atomic():
                if connection.vendor == "sqlite":
                    # SQLite locks the whole database for a writer.
                    StripeEvent.objects.create(event_id="evt_lock_holder", type="x", created=day(0))
                else:
                    ScheduledCharge.objects.select_for_update().get(pk=charge.pk)
                locked.set()
                release.wait(30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert locked.wait(30)
        with connection.cursor() as cursor:
            # Give up waiting after a moment instead of the server's long default.
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA busy_timeout = 300")
            else:
                cursor.execute("SET lock_timeout = '300ms'")
        response = post_event(client, "payment_intent.succeeded", obj, event_id="evt_locked")
    finally:
        release.set()
        holder.join(30)

    assert response.status_code == 503
    stored = StripeEvent.objects.filter(event_id="evt_locked").first()
    assert stored is None or stored.processed_at is None
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.PROCESSING

    retry = post_event(client, "payment_intent.succeeded", obj, event_id="evt_locked")
    assert retry.status_code == 200 and retry.content == b"succeeded: recorded"
