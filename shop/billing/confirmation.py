"""When the bank asks the customer to confirm an installment (3-D Secure on an off-session
charge): the wait, the reminder, the customer's answer, another card, and the deadline.

The rules that keep money right:

- The installment keeps the one PaymentIntent Stripe left in ``requires_action``; it is
  "Awaiting confirmation" and neither the scheduler nor a retry charges it again while it
  waits (``charging._refusal`` and ``scheduler.charges_due`` only take scheduled or failed
  installments).
- The customer confirms that PaymentIntent on our page with Stripe.js; the page's result
  and the ``payment_intent.succeeded`` webhook both end in ``charge_outcome_record``, which
  records a success once.
- Before anything else is charged for it (another card) and when the deadline passes, the
  waiting PaymentIntent is cancelled at Stripe first. A PaymentIntent that cannot be
  cancelled because it succeeded meanwhile is recorded as the payment instead, so the
  installment is never paid twice.
"""

import logging
from datetime import datetime
from enum import StrEnum

from django.db import transaction
from django.utils import timezone

from shop import gateway
from shop.billing import transitions
from shop.billing.charging import charge_outcome_record
from shop.billing.models import ChargeStatus, ScheduledCharge
from shop.billing.transitions import (
    MoveRefused,
    confirmation_email_context,
    event_record,
    plan_and_charge_lock,
)

logger = logging.getLogger(__name__)

# A waiting payment in these states went through, or will: it cannot be cancelled any more.
GONE_THROUGH = (gateway.PaymentStatus.SUCCEEDED, gateway.PaymentStatus.PROCESSING)


class ConfirmationOutcome(StrEnum):
    """What the confirmation page learns from Stripe once the bank's check is over."""

    PAID = "paid"
    # The bank accepted; the money is on its way.
    PROCESSING = "processing"
    # The check was not finished.
    WAITING = "waiting"
    # The bank refused, or the check failed.
    FAILED = "failed"


class ExpiryOutcome(StrEnum):
    """What became of a payment whose time to be confirmed is over."""

    SUSPENDED = "suspended"
    # It went through after all.
    PAID = "paid"
    # Nothing to do: settled meanwhile, or still on its way.
    NOTHING = ""


def awaiting_charges():
    return ScheduledCharge.objects.filter(status=ChargeStatus.AWAITING_CONFIRMATION)


def confirmation_reminders_due(*, now: datetime):
    """Installments waiting for the customer, halfway to their deadline, not yet reminded."""
    return awaiting_charges().filter(
        confirmation_reminder_sent_at__isnull=True,
        confirmation_reminder_at__lte=now,
        confirm_by__gt=now,
    )


def confirmation_reminder_send(*, charge_id: int, now: datetime | None = None) -> bool:
    """Send the halfway reminder once; True when this call sent it."""
    now = now or timezone.now()
    with transaction.atomic():
        # Claimed by a conditional UPDATE: two overlapping runs send it once.
        claimed = (
            awaiting_charges()
            .filter(pk=charge_id, confirmation_reminder_sent_at__isnull=True)
            .update(confirmation_reminder_sent_at=now)
        )
        if not claimed:
            return False
        charge = ScheduledCharge.objects.select_related("plan__order", "plan__user").get(
            pk=charge_id
        )
        transitions.notice_sent(
            plan=charge.plan,
            move=transitions.Move.CONFIRMATION_REMINDER_SENT,
            note=f"Reminder: installment {charge.sequence} still waits for the customer's "
            f"confirmation, until {charge.confirm_by:%Y-%m-%d %H:%M} UTC.",
            data={"charge_id": charge.pk, "payment_intent": charge.payment_intent_id},
            email=transitions.Email(
                "PAYMENT_CONFIRMATION_REMINDER", confirmation_email_context(charge)
            ),
        )
    return True


def confirmation_email_resend(*, charge_id: int, actor=None, now: datetime | None = None) -> None:
    """The author sends the "confirm your payment" email again (same link, same deadline)."""
    now = now or timezone.now()
    with transaction.atomic():
        plan, charge = plan_and_charge_lock(charge_id=charge_id)
        if charge.status != ChargeStatus.AWAITING_CONFIRMATION:
            raise MoveRefused(
                f"Payment {charge.sequence} is “{charge.get_status_display()}”: "
                "it does not wait for the customer's confirmation."
            )
        if charge.confirm_by is None or charge.confirm_by <= now:
            raise MoveRefused(
                "The time to confirm this payment is over; the plan is being suspended."
            )
        transitions.notice_sent(
            plan=plan,
            move=transitions.Move.CONFIRMATION_EMAIL_RESENT,
            actor=actor,
            actor_label="author",
            note=f"The email asking to confirm installment {charge.sequence} was sent again.",
            data={"charge_id": charge.pk, "payment_intent": charge.payment_intent_id},
            email=transitions.Email(
                "PAYMENT_CONFIRMATION_NEEDED", confirmation_email_context(charge)
            ),
        )


def confirmation_result_record(
    *, charge: ScheduledCharge, actor=None, result: gateway.ChargeResult | None = None
) -> ConfirmationOutcome:
    """What the confirmation page reports after Stripe.js: read the PaymentIntent from
    Stripe (never the browser's word; ``result`` when the caller has just read it) and
    record it. Returns what became of it."""
    result = result or gateway.payment_intent_retrieve(charge.payment_intent_id)
    if result.metadata.get("charge_id") not in (None, str(charge.pk)):
        logger.error("PaymentIntent %s does not belong to charge %s", result, charge.pk)
        return ConfirmationOutcome.FAILED
    if result.status in GONE_THROUGH:
        charge_outcome_record(charge_id=charge.pk, result=result, actor_label="customer")
        if result.status == gateway.PaymentStatus.SUCCEEDED:
            return ConfirmationOutcome.PAID
        return ConfirmationOutcome.PROCESSING
    if result.status == gateway.PaymentStatus.REQUIRES_ACTION:
        return ConfirmationOutcome.WAITING
    event_record(
        plan=charge.plan,
        kind="confirmation_failed",
        actor=actor,
        actor_label="customer",
        note=f"Installment {charge.sequence}: the customer's confirmation did not go through "
        f"({result.failure_code or result.status}).",
        data={"charge_id": charge.pk, "payment_intent": charge.payment_intent_id},
    )
    return ConfirmationOutcome.FAILED


def _waiting_intent_cancel(charge: ScheduledCharge, now: datetime) -> gateway.PaymentStatus:
    """Cancel at Stripe the PaymentIntent the installment waits on, so it can never go
    through later; returns its status. One that went through meanwhile (``GONE_THROUGH``)
    cannot be cancelled: it is recorded as the payment instead."""
    cancelled = gateway.payment_intent_cancel(charge.payment_intent_id)
    if cancelled.status in GONE_THROUGH:
        charge_outcome_record(charge_id=charge.pk, result=cancelled, now=now)
    return cancelled.status


def confirmation_release(*, charge_id: int, reason: str, actor=None, now=None) -> bool:
    """Stop waiting for the customer's confirmation so the installment can be charged
    otherwise (another card): cancel the waiting PaymentIntent at Stripe, then make the
    installment "Failed" with no automatic retry. Returns False when there was nothing to
    release, or the waiting payment had gone through meanwhile (then recorded as paid)."""
    now = now or timezone.now()
    charge = ScheduledCharge.objects.get(pk=charge_id)
    if charge.status != ChargeStatus.AWAITING_CONFIRMATION:
        return False
    intent_id = charge.payment_intent_id
    if _waiting_intent_cancel(charge, now) in GONE_THROUGH:
        return False
    released = transitions.confirmation_released(
        charge_id=charge_id, intent_id=intent_id, reason=reason, actor=actor
    )
    return released is not None


def confirmations_expired(*, now: datetime):
    """Installments whose customer did not confirm by the deadline."""
    return awaiting_charges().filter(confirm_by__lte=now)


def confirmation_expire(*, charge_id: int, now: datetime | None = None) -> ExpiryOutcome:
    """The deadline passed: cancel the waiting PaymentIntent, then suspend the plan by the
    same rules as a failed payment (no more tries, download ended, customer emailed)."""
    now = now or timezone.now()
    charge = ScheduledCharge.objects.get(pk=charge_id)
    if (
        charge.status != ChargeStatus.AWAITING_CONFIRMATION
        or not charge.confirm_by
        or charge.confirm_by > now
    ):
        return ExpiryOutcome.NOTHING
    intent_id = charge.payment_intent_id
    status = _waiting_intent_cancel(charge, now)
    if status == gateway.PaymentStatus.SUCCEEDED:
        return ExpiryOutcome.PAID
    if status in GONE_THROUGH:
        return ExpiryOutcome.NOTHING
    change = transitions.plan_suspended(
        plan_id=charge.plan_id, now=now, charge_id=charge_id, intent_id=intent_id
    )
    return ExpiryOutcome.SUSPENDED if change.changed else ExpiryOutcome.NOTHING


def waiting_intents_cancel(intent_ids: list[str]) -> None:
    """After a refund or cancellation closed the plan: cancel PaymentIntents that were
    waiting for the customer, so they can never be completed. One that went through
    meanwhile is recorded (and, the plan being closed, refunded automatically). A failure
    to reach Stripe is logged: the page already refuses them, and reconciling finds any
    that went through later."""
    for intent_id in intent_ids:
        try:
            result = gateway.payment_intent_cancel(intent_id)
        except gateway.GatewayError:
            logger.warning("PaymentIntent %s could not be cancelled", intent_id)
            continue
        if result.status != gateway.PaymentStatus.SUCCEEDED:
            continue
        charge = ScheduledCharge.objects.filter(payment_intent_id=intent_id).first()
        if charge is not None:
            charge_outcome_record(charge_id=charge.pk, result=result)


def waiting_intents_owed_cancel(sender, *, intent_ids: list[str], **kwargs) -> None:
    """Cancel the PaymentIntents a plan change left waiting for the customer
    (``transitions.waiting_intents_owed``)."""
    waiting_intents_cancel(intent_ids)
