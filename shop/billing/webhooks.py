"""Stripe's webhooks: each verified event stored once and handled through a table.

Every handler is idempotent and re-reads what it needs (the PaymentIntent from Stripe,
the charge from our database), so replays, duplicates and events arriving out of order
change nothing that is already recorded.
"""

import logging
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone

from shop import gateway
from shop.billing import transitions
from shop.billing.charging import charge_outcome_record
from shop.billing.disputes import DISPUTE_EVENTS, dispute_record
from shop.billing.models import InstallmentPlan, ScheduledCharge, StripeEvent
from shop.billing.transitions import event_record as plan_event_record

logger = logging.getLogger(__name__)


def _charge_named(metadata: dict) -> ScheduledCharge | None:
    charge_id = (metadata or {}).get("charge_id")
    if not charge_id or not str(charge_id).isdigit():
        return None
    return ScheduledCharge.objects.select_related("plan").filter(pk=int(charge_id)).first()


def payment_intent_changed(event: gateway.WebhookEvent) -> str:
    """payment_intent.succeeded / payment_failed: re-read the PaymentIntent from Stripe and
    record its outcome for the installment it names there, as the scheduler would. The
    event's body only says which PaymentIntent to read: never which installment it pays."""
    if not str(event.object.get("id", "")).startswith("pi_"):
        return "not a payment"
    result = gateway.payment_intent_retrieve(event.object["id"])
    charge = _charge_named(result.metadata)
    if charge is None:
        return "not an installment"
    if result.metadata.get("plan_id") != str(charge.plan_id):
        logger.warning("webhook %s: PaymentIntent metadata does not match its plan", event.id)
        return "plan mismatch"
    changed = charge_outcome_record(charge_id=charge.pk, result=result, actor_label="stripe")
    return f"{result.status}: {'recorded' if changed else 'already recorded'}"


def charge_refunded(event: gateway.WebhookEvent) -> str:
    """charge.refunded: record the refunded total for the installment it paid."""
    intent_id = event.object.get("payment_intent")
    if isinstance(intent_id, dict):
        intent_id = intent_id.get("id")
    charge = ScheduledCharge.objects.filter(payment_intent_id=intent_id).first()
    if not intent_id or charge is None:
        return "not an installment"
    changed = transitions.refund_recorded(
        charge_id=charge.pk,
        refunded_total_cents=int(event.object.get("amount_refunded") or 0),
        reference=event.object.get("id", ""),
        actor_label="stripe",
    ).changed
    return "refund recorded" if changed else "already recorded"


def dispute_changed(event: gateway.WebhookEvent) -> str:
    """charge.dispute.*: record the dispute (shop.billing.disputes), noted on the plan and
    told to the author when new; Stripe holds the money meanwhile."""
    return dispute_record(event=event)


def setup_intent_succeeded(event: gateway.WebhookEvent) -> str:
    """setup_intent.succeeded: a card saved; noted on the plan (the pages do the work)."""
    plan = InstallmentPlan.objects.filter(stripe_setup_intent_id=event.object.get("id")).first()
    if plan is None:
        return "no plan"
    plan_event_record(
        plan=plan,
        kind="card_saved_at_stripe",
        actor_label="stripe",
        note="Stripe confirmed the saved card.",
        data={"setup_intent": event.object.get("id"), "event": event.id},
    )
    return "noted"


HANDLERS: dict[str, Callable[[gateway.WebhookEvent], str]] = {
    "payment_intent.succeeded": payment_intent_changed,
    "payment_intent.payment_failed": payment_intent_changed,
    "charge.refunded": charge_refunded,
    **dict.fromkeys(DISPUTE_EVENTS, dispute_changed),
    "setup_intent.succeeded": setup_intent_succeeded,
}


def stripe_event_handle(event: gateway.WebhookEvent) -> str:
    """Store the event once and hand it to its handler; a replay returns "duplicate".

    An event about an object Stripe does not have can never succeed: it is marked processed
    with that reason (the view answers 200, so Stripe stops sending it). A handler that
    fails for a passing reason (Stripe unreachable, our database locked) leaves the event
    unprocessed and raises, so the view answers 503 and Stripe sends it again."""
    try:
        with transaction.atomic():
            stored, created = StripeEvent.objects.get_or_create(
                event_id=event.id,
                defaults={
                    "type": event.type,
                    "created": event.created,
                    "livemode": event.livemode,
                    "payload": event.object,
                },
            )
    except IntegrityError:
        return "duplicate"
    if not created and stored.processed_at is not None:
        return "duplicate"
    handler = HANDLERS.get(event.type)
    try:
        result = handler(event) if handler else "ignored"
    except gateway.ProviderObjectMissing:
        result = f"not found at Stripe: {event.object.get('object', 'object')} "
        result += f"{event.object.get('id', '')}; nothing recorded"
        logger.warning("webhook %s %s: %s", event.type, event.id, result)
    StripeEvent.objects.filter(pk=stored.pk).update(processed_at=timezone.now(), result=result)
    return result
