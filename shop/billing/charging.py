"""Charging one installment, safely: claimed under a row lock, charged outside any
transaction, recorded in a second transaction; an unknown outcome is reconciled with Stripe.

The rules that keep money right:

- An installment is claimed by moving it to PROCESSING in a short transaction (the row is
  locked with ``skip_locked`` and the move is a conditional UPDATE, so two overlapping
  runs cannot both claim it). Only then is Stripe called, with an idempotency key per
  attempt (``charge-<id>-attempt-<n>``) and metadata naming the charge, plan and attempt.
- A charge is never tried for a plan that is not active (quit, cancelled, refunded,
  suspended), nor before the earlier installments are paid, nor beyond the plan's count.
- Recording an outcome (``charge_outcome_record``) is idempotent: the scheduler, the
  webhooks and reconciliation may all report the same PaymentIntent; the first one wins.
- When the answer is lost (network trouble, a crash between "attempted" and "recorded"),
  the installment stays PROCESSING and ``reconcile_charge`` asks Stripe by metadata.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from oscar.apps.order.exceptions import InvalidOrderStatus
from oscar.core.loading import get_model

from shop import gateway
from shop.billing.access import grace_days, grant_sync
from shop.billing.confirm_links import confirm_link_path
from shop.billing.emails import plan_email_send
from shop.billing.models import InstallmentPlan, ScheduledCharge
from shop.billing.money import from_minor_units
from shop.billing.services import plan_event_record

logger = logging.getLogger(__name__)

PaymentEvent = get_model("order", "PaymentEvent")
PaymentEventType = get_model("order", "PaymentEventType")

Status = ScheduledCharge.Status
PlanStatus = InstallmentPlan.Status

# Plans that may still be charged (a suspended plan is excluded separately).
CHARGEABLE_PLAN_STATUSES = (
    PlanStatus.TRIALING,
    PlanStatus.INSTALLMENT_PAID,
    PlanStatus.PAYMENT_FAILED,
    PlanStatus.CONFIRMATION_NEEDED,
)

ORDER_STATUS_FOR_PLAN = {
    PlanStatus.TRIALING: "Trialing",
    PlanStatus.INSTALLMENT_PAID: "Installment 1 paid",
    PlanStatus.PAID_IN_FULL: "Paid in full",
    PlanStatus.TRIAL_QUIT: "Trial quit",
    PlanStatus.PAYMENT_FAILED: "Payment failed",
    PlanStatus.CONFIRMATION_NEEDED: "Confirmation needed",
    PlanStatus.CANCELLED: "Cancelled",
    PlanStatus.REFUNDED: "Refunded",
}


def retry_days() -> list[int]:
    """Days after the due date on which a failed installment is tried again."""
    return [int(day) for day in getattr(settings, "BILLING_RETRY_DAYS", (1, 3, 6))]


@dataclass(frozen=True)
class ChargeAttempt:
    """What one call of ``charge_installment`` did."""

    charge_id: int
    outcome: str  # skipped | succeeded | failed | requires_action | processing | unknown
    reason: str = ""


def _money(cents: int, *, currency: str = "USD") -> Decimal:
    return from_minor_units(cents, currency)


def order_status_follow(plan: InstallmentPlan) -> None:
    """Move the Oscar order to the status matching the plan, if the pipeline allows it."""
    wanted = ORDER_STATUS_FOR_PLAN[plan.status]
    order = plan.order
    try:
        order.set_status(wanted)
    except InvalidOrderStatus:
        logger.warning(
            "order %s cannot go from %r to %r; left as it is", order.number, order.status, wanted
        )


def payment_event_add(*, order, name: str, amount_cents: int, reference: str) -> None:
    """An Oscar payment event on the order, shown in the dashboard's payment history."""
    event_type, _ = PaymentEventType.objects.get_or_create(name=name)
    PaymentEvent.objects.create(
        order=order,
        event_type=event_type,
        amount=_money(amount_cents, currency=order.currency),
        reference=reference,
    )


def plan_is_chargeable(plan: InstallmentPlan, *, allow_suspended: bool = False) -> bool:
    """Active plans; a suspended one only for a deliberate retry (new card, author)."""
    if plan.status not in CHARGEABLE_PLAN_STATUSES:
        return False
    return allow_suspended or plan.suspended_at is None


def _refusal(charge: ScheduledCharge, now: datetime, *, force: bool) -> str:
    """Why this installment must not be charged now ("" when it may)."""
    plan = charge.plan
    if not plan_is_chargeable(plan, allow_suspended=force):
        return f"plan is {plan.status}{' (suspended)' if plan.suspended_at else ''}"
    if charge.sequence > plan.installment_count:
        return "beyond the plan's installments"
    if charge.due_at > now:
        return "not due yet"
    if charge.status == Status.SCHEDULED:
        pass
    elif charge.status == Status.FAILED:
        if not force and (charge.next_attempt_at is None or charge.next_attempt_at > now):
            return "no retry due"
    else:
        return f"installment is {charge.status}"
    if plan.charges.filter(sequence__lt=charge.sequence).exclude(status=Status.PAID).exists():
        return "an earlier installment is unpaid"
    if plan.charges.filter(status=Status.PAID).count() >= plan.installment_count:
        return "plan already paid in full"
    return ""


def plan_and_charge_lock(
    *, charge_id: int, skip_locked: bool = False
) -> tuple[InstallmentPlan, ScheduledCharge | None]:
    """Lock an installment's plan, then the installment (always in this order, as quitting
    and cancelling do, so two writers never wait for each other in a circle). With
    ``skip_locked`` the installment is None when another run holds it. Inside a transaction."""
    plan_id = ScheduledCharge.objects.values_list("plan_id", flat=True).get(pk=charge_id)
    plan = (
        InstallmentPlan.objects.select_for_update(of=("self",))
        .select_related("order", "user", "product")
        .get(pk=plan_id)
    )
    charge = (
        ScheduledCharge.objects.select_for_update(skip_locked=skip_locked)
        .filter(pk=charge_id)
        .first()
    )
    if charge is not None:
        charge.plan = plan
    return plan, charge


def charge_claim(
    *, charge_id: int, now: datetime, actor=None, actor_label: str = "system", force=False
) -> ScheduledCharge | str:
    """Move a due installment to PROCESSING and count the attempt; the claimed charge, or
    the reason it was not claimed. A short transaction: nothing slow happens inside."""
    with transaction.atomic():
        plan, charge = plan_and_charge_lock(charge_id=charge_id, skip_locked=True)
        if charge is None:
            return "locked by another run"
        reason = _refusal(charge, now, force=force)
        if reason:
            return reason
        # The conditional UPDATE is the real guard (databases without row locks too).
        claimed = ScheduledCharge.objects.filter(pk=charge.pk, status=charge.status).update(
            status=Status.PROCESSING,
            attempts=F("attempts") + 1,
            processing_started_at=now,
            next_attempt_at=None,
        )
        if not claimed:
            return "claimed by another run"
        charge.refresh_from_db()
        plan_event_record(
            plan=charge.plan,
            kind="charge_attempted",
            actor=actor,
            actor_label=actor_label,
            note=f"Installment {charge.sequence}: attempt {charge.attempts}.",
            data={"charge_id": charge.pk, "attempt": charge.attempts},
        )
    return charge


def charge_installment(
    *,
    charge_id: int,
    now: datetime | None = None,
    actor=None,
    actor_label: str = "system",
    force: bool = False,
) -> ChargeAttempt:
    """Charge one installment if it is due (or its retry is due; ``force`` ignores the
    retry time, for "retry now" and a new card). Safe to call from overlapping runs."""
    now = now or timezone.now()
    claimed = charge_claim(
        charge_id=charge_id, now=now, actor=actor, actor_label=actor_label, force=force
    )
    if isinstance(claimed, str):
        return ChargeAttempt(charge_id, "skipped", claimed)
    charge, plan = claimed, claimed.plan
    try:
        result = gateway.charge_off_session(
            customer_id=plan.stripe_customer_id,
            payment_method_id=plan.stripe_payment_method_id,
            amount_cents=charge.amount_cents,
            currency=charge.currency.lower(),
            metadata={
                "charge_id": str(charge.pk),
                "plan_id": str(plan.pk),
                "attempt": str(charge.attempts),
            },
            idempotency_key=f"charge-{charge.pk}-attempt-{charge.attempts}",
        )
    except gateway.PaymentProviderUnavailable:
        # The charge may or may not have happened: reconciliation finds out later.
        logger.warning("charge %s attempt %s: outcome unknown", charge.pk, charge.attempts)
        return ChargeAttempt(charge.pk, "unknown", "payment provider unavailable")
    except gateway.GatewayError as exc:
        logger.error("charge %s refused by the provider: %s", charge.pk, exc)
        result = gateway.ChargeResult(
            status="failed",
            payment_intent_id=None,
            client_secret=None,
            failure_code=exc.code or "gateway_error",
            failure_message=exc.user_message,
            metadata={"charge_id": str(charge.pk), "attempt": str(charge.attempts)},
        )
    charge_outcome_record(charge_id=charge.pk, result=result, now=now, actor_label=actor_label)
    return ChargeAttempt(charge.pk, result.status)


def charge_outcome_record(
    *,
    charge_id: int,
    result: gateway.ChargeResult,
    now: datetime | None = None,
    actor_label: str = "system",
) -> bool:
    """Record what Stripe says became of an installment; True when something changed.

    Idempotent: a success is recorded once (a second success with another PaymentIntent is
    a double charge and is logged loudly); a failure only counts for the attempt in flight.
    """
    now = now or timezone.now()
    emails: list[tuple[str, dict]] = []
    with transaction.atomic():
        plan, charge = plan_and_charge_lock(charge_id=charge_id)
        if result.status == "succeeded":
            changed = _record_paid(charge, result, now, actor_label, emails)
        elif result.status == "requires_action":
            changed = _record_confirmation_needed(charge, result, now, actor_label, emails)
        elif result.status == "failed":
            changed = _record_failed(charge, result, now, actor_label, emails)
        else:
            changed = False  # "processing": stays PROCESSING until Stripe decides
        if changed:
            grant_sync(plan)
            order_status_follow(plan)
    for code, extra in emails:
        transaction.on_commit(
            lambda code=code, extra=extra: plan_email_send(plan=plan, code=code, extra=extra)
        )
    return changed


def _record_paid(charge, result, now, actor_label, emails) -> bool:
    plan = charge.plan
    if charge.status in (Status.PAID, Status.REFUNDED):
        if result.payment_intent_id and result.payment_intent_id != charge.payment_intent_id:
            logger.error(
                "DOUBLE CHARGE: installment %s paid by %s and again by %s",
                charge.pk,
                charge.payment_intent_id,
                result.payment_intent_id,
            )
            plan_event_record(
                plan=plan,
                kind="double_charge_detected",
                actor_label="system",
                note=f"Installment {charge.sequence} was paid twice: refund one.",
                data={
                    "charge_id": charge.pk,
                    "payment_intents": [charge.payment_intent_id, result.payment_intent_id],
                },
            )
        return False
    charge.status = Status.PAID
    charge.paid_at = now
    charge.payment_intent_id = result.payment_intent_id or ""
    charge.next_attempt_at = None
    charge.failure_code = ""
    charge.save(
        update_fields=["status", "paid_at", "payment_intent_id", "next_attempt_at", "failure_code"]
    )
    order = plan.order
    payment_event_add(
        order=order,
        name=f"Installment {charge.sequence} paid",
        amount_cents=charge.amount_cents,
        reference=charge.payment_intent_id,
    )
    source = order.sources.first()
    if source is not None:
        source.debit(
            _money(charge.amount_cents, currency=charge.currency),
            reference=charge.payment_intent_id,
        )
    paid = plan.charges.filter(status=Status.PAID).count()
    if plan.status in CHARGEABLE_PLAN_STATUSES:
        done = paid >= plan.installment_count
        plan.status = PlanStatus.PAID_IN_FULL if done else PlanStatus.INSTALLMENT_PAID
        plan.suspended_at = None  # a payment collected after suspension reopens the download
        plan.save(update_fields=["status", "suspended_at", "updated_at"])
    plan_event_record(
        plan=plan,
        kind="charge_succeeded",
        actor_label=actor_label,
        note=f"Installment {charge.sequence} of {plan.installment_count} paid: "
        f"{_money(charge.amount_cents, currency=charge.currency)} {charge.currency}.",
        data={"charge_id": charge.pk, "payment_intent": charge.payment_intent_id},
    )
    extra = {"charge": charge}
    emails.append(("INSTALLMENT_PAID", extra))
    if plan.status == PlanStatus.PAID_IN_FULL:
        emails.append(("PAID_IN_FULL", extra))
    return True


def _record_failed(charge, result, now, actor_label, emails) -> bool:
    plan = charge.plan
    attempt = result.metadata.get("attempt")
    if charge.status != Status.PROCESSING or (attempt and attempt != str(charge.attempts)):
        return False  # an older attempt, or already recorded
    charge.status = Status.FAILED
    charge.failure_code = (result.failure_code or result.status)[:64]
    charge.payment_intent_id = result.payment_intent_id or charge.payment_intent_id
    days = retry_days()
    if charge.attempts <= len(days):
        charge.next_attempt_at = max(
            charge.due_at + timedelta(days=days[charge.attempts - 1]), now + timedelta(hours=1)
        )
    else:
        charge.next_attempt_at = None
    charge.save(update_fields=["status", "failure_code", "payment_intent_id", "next_attempt_at"])
    if plan.status in CHARGEABLE_PLAN_STATUSES:
        plan.status = PlanStatus.PAYMENT_FAILED
        plan.save(update_fields=["status", "updated_at"])
    retry = f"retry on {charge.next_attempt_at:%Y-%m-%d}" if charge.next_attempt_at else "no retry"
    plan_event_record(
        plan=plan,
        kind="charge_failed",
        actor_label=actor_label,
        note=f"Installment {charge.sequence}, attempt {charge.attempts}: "
        f"{result.failure_message or result.status}; {retry}.",
        data={
            "charge_id": charge.pk,
            "payment_intent": result.payment_intent_id,
            "failure_code": result.failure_code,
            "next_attempt_at": charge.next_attempt_at.isoformat()
            if charge.next_attempt_at
            else None,
        },
    )
    emails.append(
        (
            "PAYMENT_FAILED",
            {
                "charge": charge,
                "failure_message": result.failure_message,
                "update_card_path": reverse("billing:card-update", args=[plan.pk]),
            },
        )
    )
    return True


def confirmation_deadline(charge: ScheduledCharge, now: datetime) -> tuple[datetime, datetime]:
    """(confirm by, remind at) for an installment whose bank asks the customer to confirm:
    the same grace period as a failed payment, counted from the due date, reminded halfway.
    At least a day is left to answer (e.g. another card asked for its own check on the
    last day, or the author retried a suspended plan)."""
    confirm_by = max(charge.due_at + timedelta(days=grace_days()), now + timedelta(days=1))
    return confirm_by, now + (confirm_by - now) / 2


def _record_confirmation_needed(charge, result, now, actor_label, emails) -> bool:
    """The bank asks the cardholder to confirm (3-D Secure): the installment keeps this one
    PaymentIntent and waits for them; it is not retried off-session meanwhile."""
    plan = charge.plan
    attempt = result.metadata.get("attempt")
    if charge.status != Status.PROCESSING or (attempt and attempt != str(charge.attempts)):
        return False  # an older attempt, or already recorded
    if not result.payment_intent_id:
        # Nothing the customer could confirm: treat it as a failed attempt.
        return _record_failed(charge, result, now, actor_label, emails)
    charge.status = Status.AWAITING_CONFIRMATION
    charge.failure_code = (result.failure_code or "authentication_required")[:64]
    charge.payment_intent_id = result.payment_intent_id
    charge.next_attempt_at = None
    charge.confirm_by, charge.confirmation_reminder_at = confirmation_deadline(charge, now)
    charge.confirmation_reminder_sent_at = None
    charge.save(
        update_fields=[
            "status",
            "failure_code",
            "payment_intent_id",
            "next_attempt_at",
            "confirm_by",
            "confirmation_reminder_at",
            "confirmation_reminder_sent_at",
        ]
    )
    if plan.status in CHARGEABLE_PLAN_STATUSES:
        plan.status = PlanStatus.CONFIRMATION_NEEDED
        plan.save(update_fields=["status", "updated_at"])
    plan_event_record(
        plan=plan,
        kind="confirmation_needed",
        actor_label=actor_label,
        note=f"Installment {charge.sequence}, attempt {charge.attempts}: the bank asks the "
        f"customer to confirm the payment; they can until {charge.confirm_by:%Y-%m-%d %H:%M} UTC.",
        data={
            "charge_id": charge.pk,
            "payment_intent": charge.payment_intent_id,
            "confirm_by": charge.confirm_by.isoformat(),
        },
    )
    emails.append(("PAYMENT_CONFIRMATION_NEEDED", confirmation_email_context(charge)))
    return True


def confirmation_email_context(charge: ScheduledCharge) -> dict:
    """What the "confirm your payment" emails need: the installment, the signed link to the
    confirmation page, the deadline and the way to use another card."""
    return {
        "charge": charge,
        "confirm_path": confirm_link_path(charge),
        "confirm_by": charge.confirm_by,
        "update_card_path": reverse("billing:card-update", args=[charge.plan_id]),
    }


def reconcile_charge(charge: ScheduledCharge, *, now: datetime | None = None) -> str:
    """Settle an installment left PROCESSING (a crash or a lost answer) by asking Stripe for
    the PaymentIntents carrying its charge id. Returns what was found."""
    now = now or timezone.now()
    charge = ScheduledCharge.objects.select_related("plan").get(pk=charge.pk)
    if charge.status != Status.PROCESSING:
        return f"not processing ({charge.status})"
    intents = gateway.payment_intents_for(
        customer_id=charge.plan.stripe_customer_id,
        metadata_key="charge_id",
        metadata_value=str(charge.pk),
    )
    succeeded = [i for i in intents if i.status == "succeeded"]
    if succeeded:
        for intent in succeeded:
            charge_outcome_record(
                charge_id=charge.pk, result=intent, now=now, actor_label="reconcile"
            )
        return "paid"
    current = [i for i in intents if i.metadata.get("attempt") == str(charge.attempts)]
    if any(i.status == "processing" for i in current):
        return "still processing at Stripe"
    decided = [i for i in current if i.status in ("failed", "requires_action")]
    if decided:
        charge_outcome_record(
            charge_id=charge.pk, result=decided[0], now=now, actor_label="reconcile"
        )
        return decided[0].status
    # Stripe never saw this attempt: put the installment back to be tried again.
    with transaction.atomic():
        back = Status.SCHEDULED if charge.attempts <= 1 else Status.FAILED
        moved = ScheduledCharge.objects.filter(
            pk=charge.pk, status=Status.PROCESSING, attempts=charge.attempts
        ).update(status=back, next_attempt_at=now if back == Status.FAILED else None)
        if moved:
            plan_event_record(
                plan=charge.plan,
                kind="charge_reconciled",
                actor_label="reconcile",
                note=f"Installment {charge.sequence}: attempt {charge.attempts} never reached "
                "Stripe; it will be tried again.",
                data={"charge_id": charge.pk, "attempt": charge.attempts},
            )
    return "not charged"


def stale_processing_charges(*, now: datetime):
    """Installments left PROCESSING longer than ``BILLING_PROCESSING_STALE_MINUTES``."""
    minutes = int(getattr(settings, "BILLING_PROCESSING_STALE_MINUTES", 10))
    return ScheduledCharge.objects.filter(
        status=Status.PROCESSING, processing_started_at__lt=now - timedelta(minutes=minutes)
    )
