"""Every change of an installment plan, in one place.

Each move below is one named function. It takes the plan's row lock (then the installment's,
always in that order), checks in ``ALLOWED_MOVES`` that the move is allowed from the plan's
current status, writes every row that changes (installments, plan, download grant, the Oscar
order's status and payment records, the plan event) and returns a ``Change`` naming the
emails and refunds to send once the transaction commits (it also queues them on commit).

A move that is not allowed raises ``MoveRefused`` with a reason and is logged: nothing is
changed silently. Outcomes that must be recorded whatever the plan's state (Stripe took a
payment for a plan that was refunded meanwhile) are recorded and undone on purpose: the
payment is refunded automatically, once, and the author sees an event saying so.

Nothing here talks to Stripe: callers do that outside the lock and hand the answer in.
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Literal, overload

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone
from oscar.apps.order.exceptions import InvalidOrderStatus
from oscar.core.loading import get_model

from shop import gateway
from shop.billing.access import grace_days, grant_sync
from shop.billing.confirm_links import confirm_link_path
from shop.billing.emails import email_queue
from shop.billing.models import (
    CardUpdate,
    ChargeStatus,
    InstallmentPlan,
    InstallmentRefund,
    PlanEvent,
    PlanStatus,
    RefundStatus,
    ScheduledCharge,
)
from shop.billing.money import from_minor_units
from shop.errors import RefusedWithMessage

logger = logging.getLogger(__name__)

PaymentEvent = get_model("order", "PaymentEvent")
PaymentEventType = get_model("order", "PaymentEventType")


class Move(StrEnum):
    """Each change of a plan, by the name its event is recorded under."""

    TRIAL_STARTED = "trial_started"
    PLAN_STARTED = "plan_started"
    CHARGE_ATTEMPTED = "charge_attempted"
    ATTEMPT_LOST = "attempt_lost"
    INSTALLMENT_PAID = "installment_paid"
    PAID_IN_FULL = "paid_in_full"
    PAYMENT_FAILED = "payment_failed"
    CONFIRMATION_NEEDED = "confirmation_needed"
    CONFIRMATION_RELEASED = "confirmation_released"
    SUSPENDED = "suspended"
    TRIAL_QUIT = "trial_quit"
    PAYMENTS_CANCELLED = "payments_cancelled"
    CARD_UPDATED = "card_updated"
    REFUND_REQUESTED = "refund_requested"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    LATE_PAYMENT_REFUNDING = "late_payment_refunding"
    REMINDER_SENT = "reminder_sent"
    CONFIRMATION_REMINDER_SENT = "confirmation_reminder_sent"
    CONFIRMATION_EMAIL_RESENT = "confirmation_email_resent"
    # Recorded whatever the plan's status, as events only: they change nothing in the plan.
    REFUND_FAILED = "refund_failed"
    UNWANTED_PAYMENT_REFUNDED = "unwanted_payment_refunded"


# Plans whose installments may still be collected (a suspended one only on purpose).
OPEN_FOR_PAYMENT = frozenset(
    {
        PlanStatus.TRIALING,
        PlanStatus.INSTALLMENT_PAID,
        PlanStatus.PAYMENT_FAILED,
        PlanStatus.CONFIRMATION_NEEDED,
    }
)
ANY = frozenset(PlanStatus)

# The allowed moves, readable at a glance: move -> (from these statuses, to this status).
# ``None`` as the target keeps the status (the move is recorded all the same).
ALLOWED_MOVES: dict[Move, tuple[frozenset, str | None]] = {
    # move                     from                                   to
    Move.TRIAL_STARTED: (frozenset({PlanStatus.TRIALING}), None),
    Move.PLAN_STARTED: (frozenset({PlanStatus.TRIALING}), None),
    Move.CHARGE_ATTEMPTED: (OPEN_FOR_PAYMENT, None),
    Move.ATTEMPT_LOST: (ANY, None),
    Move.INSTALLMENT_PAID: (OPEN_FOR_PAYMENT, PlanStatus.INSTALLMENT_PAID),
    Move.PAID_IN_FULL: (OPEN_FOR_PAYMENT, PlanStatus.PAID_IN_FULL),
    Move.PAYMENT_FAILED: (OPEN_FOR_PAYMENT, PlanStatus.PAYMENT_FAILED),
    Move.CONFIRMATION_NEEDED: (OPEN_FOR_PAYMENT, PlanStatus.CONFIRMATION_NEEDED),
    Move.CONFIRMATION_RELEASED: (
        frozenset({PlanStatus.CONFIRMATION_NEEDED, PlanStatus.PAYMENT_FAILED}),
        PlanStatus.PAYMENT_FAILED,
    ),
    Move.SUSPENDED: (
        frozenset({PlanStatus.PAYMENT_FAILED, PlanStatus.CONFIRMATION_NEEDED}),
        PlanStatus.PAYMENT_FAILED,
    ),
    Move.TRIAL_QUIT: (frozenset({PlanStatus.TRIALING}), PlanStatus.TRIAL_QUIT),
    Move.PAYMENTS_CANCELLED: (
        frozenset(
            {PlanStatus.INSTALLMENT_PAID, PlanStatus.PAYMENT_FAILED, PlanStatus.CONFIRMATION_NEEDED}
        ),
        PlanStatus.CANCELLED,
    ),
    Move.CARD_UPDATED: (OPEN_FOR_PAYMENT, None),
    Move.REFUND_REQUESTED: (ANY, None),
    Move.PARTIALLY_REFUNDED: (ANY, None),
    Move.REFUNDED: (
        OPEN_FOR_PAYMENT - {PlanStatus.TRIALING} | {PlanStatus.PAID_IN_FULL, PlanStatus.CANCELLED},
        PlanStatus.REFUNDED,
    ),
    # A payment Stripe took for a plan or installment that can no longer be charged.
    Move.LATE_PAYMENT_REFUNDING: (ANY, None),
    # Messages that change no status.
    # Before each payment: the first after the tryout, and each later one.
    Move.REMINDER_SENT: (frozenset({PlanStatus.TRIALING, PlanStatus.INSTALLMENT_PAID}), None),
    Move.CONFIRMATION_REMINDER_SENT: (frozenset({PlanStatus.CONFIRMATION_NEEDED}), None),
    Move.CONFIRMATION_EMAIL_RESENT: (frozenset({PlanStatus.CONFIRMATION_NEEDED}), None),
}

# The order's status reads as the plan's, in the customers' words (tryout, payment): one
# vocabulary on the account pages, in emails and on the dashboard.
ORDER_STATUS_FOR_PLAN: dict[str, str] = {status: status.label for status in PlanStatus}

# Installments not yet paid, cancelled when a plan closes.
UNPAID = (ChargeStatus.SCHEDULED, ChargeStatus.FAILED, ChargeStatus.AWAITING_CONFIRMATION)

# What a change owes Stripe once its transaction commits: the refunds it claimed
# (``refund_ids``) and the PaymentIntents left waiting for the customer (``intent_ids``).
# Their senders record Stripe's answers through this module, so they listen here
# (connected in BillingConfig.ready) rather than being imported by it.
refunds_owed = Signal()
waiting_intents_owed = Signal()


class MoveRefused(RefusedWithMessage):
    """The move is not allowed from the plan's current state; ``user_message`` says why."""


@dataclass(frozen=True)
class Email:
    code: str
    extra: dict = field(default_factory=dict)


@dataclass
class Change:
    """What one move did: ``move`` ("" when nothing changed), and what is sent after commit:
    emails to the customer, refunds to issue at Stripe, PaymentIntents to cancel there."""

    plan: InstallmentPlan
    move: str = ""
    emails: list[Email] = field(default_factory=list)
    refunds: list[int] = field(default_factory=list)
    intents_to_cancel: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.move)


def _after_commit(change: Change) -> Change:
    """Queue what the change sends; it runs only if the transaction commits. Emails are
    written down with the change (one per plan event), so a mail failure loses none."""
    plan = change.plan
    if change.emails:
        event_id = plan.events.order_by("-pk").values_list("pk", flat=True).first()
        key = f"event-{event_id}" if event_id else f"change-{uuid.uuid4().hex}"
        for email in change.emails:
            email_queue(order=plan.order, plan=plan, code=email.code, key=key, extra=email.extra)
    if change.refunds or change.intents_to_cancel:
        refunds, intents = list(change.refunds), list(change.intents_to_cancel)
        transaction.on_commit(lambda: refunds_owed.send(Change, refund_ids=refunds))
        transaction.on_commit(lambda: waiting_intents_owed.send(Change, intent_ids=intents))
    return change


# Locks


@overload
def plan_lock(plan_id: int, *, skip_locked: Literal[False] = False) -> InstallmentPlan: ...
@overload
def plan_lock(plan_id: int, *, skip_locked: bool) -> InstallmentPlan | None: ...
def plan_lock(plan_id: int, *, skip_locked: bool = False) -> InstallmentPlan | None:
    """The plan, row-locked until the transaction ends (None if skipped as locked)."""
    plan = (
        InstallmentPlan.objects.select_for_update(of=("self",), skip_locked=skip_locked)
        .select_related("order", "user", "product")
        .filter(pk=plan_id)
        .first()
    )
    if plan is None and not skip_locked:
        raise InstallmentPlan.DoesNotExist(f"plan {plan_id}")
    return plan


@overload
def plan_and_charge_lock(
    *, charge_id: int, skip_locked: Literal[False] = False
) -> tuple[InstallmentPlan, ScheduledCharge]: ...
@overload
def plan_and_charge_lock(
    *, charge_id: int, skip_locked: bool
) -> tuple[InstallmentPlan, ScheduledCharge | None]: ...
def plan_and_charge_lock(
    *, charge_id: int, skip_locked: bool = False
) -> tuple[InstallmentPlan, ScheduledCharge | None]:
    """Lock an installment's plan, then the installment (always in this order, so two
    writers never wait for each other in a circle). With ``skip_locked`` the installment is
    None when another run holds it. Inside a transaction."""
    # The plan found through its installment and locked in one query (a plan never changes
    # its installments, so the join names the same plan a separate look-up would).
    plan = (
        InstallmentPlan.objects.select_for_update(of=("self",))
        .select_related("order", "user", "product")
        .filter(charges__pk=charge_id)
        .first()
    )
    if plan is None:
        raise ScheduledCharge.DoesNotExist(f"installment {charge_id}")
    charge = (
        ScheduledCharge.objects.select_for_update(skip_locked=skip_locked)
        .filter(pk=charge_id)
        .first()
    )
    if charge is None and not skip_locked:
        raise ScheduledCharge.DoesNotExist(f"installment {charge_id}")
    if charge is not None:
        charge.plan = plan
    return plan, charge


# The one writer of statuses, grants, order status and events


def _check(plan: InstallmentPlan, move: Move) -> None:
    allowed_from, _ = ALLOWED_MOVES[move]
    if plan.status not in allowed_from:
        logger.warning("plan %s: %s refused from %s", plan.pk, move, plan.status)
        raise MoveRefused(f"This cannot be done to a plan that is “{plan.get_status_display()}”.")


def event_record(
    *,
    plan: InstallmentPlan,
    kind: str,
    actor=None,
    actor_label: str = "system",
    note: str = "",
    data: dict | None = None,
) -> PlanEvent:
    """Record one change of a plan, with who made it."""
    return PlanEvent.objects.create(
        plan=plan, kind=kind, actor=actor, actor_label=actor_label, note=note, data=data or {}
    )


def _move(
    plan: InstallmentPlan,
    move: Move,
    *,
    actor=None,
    actor_label: str = "system",
    note: str = "",
    data: dict | None = None,
    kind: str = "",
    extra_fields: tuple[str, ...] = (),
) -> None:
    """Apply an allowed move to a locked plan: status, grant, order status, event."""
    _check(plan, move)
    _, target = ALLOWED_MOVES[move]
    if target is not None or extra_fields:
        if target is not None:
            plan.status = target
        plan.save(update_fields=["status", "updated_at", *extra_fields])
        # The download views read only the grant. A move that keeps the plan's status and
        # dates (an attempt claimed, a card saved) never brings the end of access forward.
        grant_sync(plan)
        order_status_follow(plan)
    event_record(
        plan=plan, kind=kind or move, actor=actor, actor_label=actor_label, note=note, data=data
    )


def order_status_follow(plan: InstallmentPlan) -> None:
    """Move the Oscar order to the status matching the plan, if the pipeline allows it."""
    wanted = ORDER_STATUS_FOR_PLAN[plan.status]
    order = plan.order
    if order.status == wanted:
        return
    try:
        order.set_status(wanted)
    except InvalidOrderStatus:
        logger.warning(
            "order %s cannot go from %r to %r; left as it is", order.number, order.status, wanted
        )


def money(units: int, currency: str = "USD") -> Decimal:
    """An amount in the currency's smallest unit (cents, or whole yen) as a Decimal."""
    return from_minor_units(units, currency)


def _payment_event_add(*, order, name: str, amount_cents: int, currency: str, reference: str):
    """An Oscar payment event on the order, shown in the dashboard's payment history."""
    event_type, _ = PaymentEventType.objects.get_or_create(name=name)
    PaymentEvent.objects.create(
        order=order,
        event_type=event_type,
        amount=money(amount_cents, currency),
        reference=reference,
    )


def _source_debit(plan, charge, reference: str) -> None:
    _payment_event_add(
        order=plan.order,
        name=f"Installment {charge.sequence} paid",
        amount_cents=charge.amount_cents,
        currency=charge.currency,
        reference=reference,
    )
    source = plan.order.sources.first()
    if source is not None:
        source.debit(money(charge.amount_cents, charge.currency), reference=reference)


def _source_refund(plan, charge, cents: int, reference: str) -> None:
    _payment_event_add(
        order=plan.order,
        name="Refunded",
        amount_cents=cents,
        currency=charge.currency,
        reference=reference,
    )
    source = plan.order.sources.first()
    if source is not None:
        source.refund(money(cents, charge.currency), reference=reference)


def notice_sent(
    *,
    plan: InstallmentPlan,
    move: Move,
    email: Email,
    note: str,
    data: dict | None = None,
    actor=None,
    actor_label: str = "system",
) -> Change:
    """A message to the customer that changes no status (a reminder, an email sent again):
    the event now, the email after commit. Inside the caller's transaction, which has
    claimed the message (so it is sent once)."""
    _move(plan, move, actor=actor, actor_label=actor_label, note=note, data=data)
    return _after_commit(Change(plan, move, emails=[email]))


# Starting and quitting


def plan_opened(*, plan: InstallmentPlan, actor, note: str, data: dict) -> Change:
    """The plan just written at checkout: its first event ("trial_started", or
    "plan_started" without the tryout). Inside the checkout's transaction."""
    move = Move.TRIAL_STARTED if plan.with_trial else Move.PLAN_STARTED
    _move(plan, move, actor=actor, actor_label="customer", note=note, data=data)
    return Change(plan, move)


def trial_quit(*, plan_id: int, actor=None, actor_label: str = "customer", now=None) -> Change:
    """Quit the free tryout: cancel every future charge and end the download at the trial's
    end. Quitting twice changes nothing the second time."""
    now = now or timezone.now()
    with transaction.atomic():
        plan = plan_lock(plan_id)
        if plan.status == PlanStatus.TRIAL_QUIT:
            return Change(plan)
        if plan.status == PlanStatus.TRIALING and now >= plan.trial_ends_at:
            logger.warning("plan %s: trial_quit refused after the tryout's end", plan.pk)
            raise MoveRefused("The free tryout has already ended, so it can no longer be quit.")
        try:
            _check(plan, Move.TRIAL_QUIT)
        except MoveRefused as exc:
            raise MoveRefused(
                "The free tryout has already ended, so it can no longer be quit."
            ) from exc
        cancelled = plan.charges.filter(status=ChargeStatus.SCHEDULED).update(
            status=ChargeStatus.CANCELLED
        )
        _move(
            plan,
            Move.TRIAL_QUIT,
            actor=actor,
            actor_label=actor_label,
            note=f"{cancelled} scheduled payments cancelled; download open until trial end.",
        )
        return _after_commit(Change(plan, Move.TRIAL_QUIT, emails=[Email("TRIAL_QUIT")]))


# Charging


def charge_refusal(charge: ScheduledCharge, now: datetime, *, force: bool) -> str:
    """Why this installment must not be charged now ("" when it may)."""
    plan = charge.plan
    if plan.status not in OPEN_FOR_PAYMENT or (plan.suspended_at and not force):
        return f"plan is {plan.status}{' (suspended)' if plan.suspended_at else ''}"
    if charge.sequence > plan.installment_count:
        return "beyond the plan's installments"
    if charge.due_at > now:
        return "not due yet"
    if charge.status == ChargeStatus.FAILED:
        if not force and (charge.next_attempt_at is None or charge.next_attempt_at > now):
            return "no retry due"
    elif charge.status != ChargeStatus.SCHEDULED:
        return f"installment is {charge.status}"
    if plan.charges.filter(sequence__lt=charge.sequence).exclude(status=ChargeStatus.PAID).exists():
        return "an earlier installment is unpaid"
    if plan.charges.filter(status=ChargeStatus.PAID).count() >= plan.installment_count:
        return "plan already paid in full"
    return ""


def charge_attempted(
    *, charge_id: int, now: datetime, actor=None, actor_label: str = "system", force=False
) -> ScheduledCharge | str:
    """Claim a due installment for one attempt: PROCESSING, attempt counted. Returns the
    claimed installment, or the reason it was not claimed. A short transaction."""
    with transaction.atomic():
        plan, charge = plan_and_charge_lock(charge_id=charge_id, skip_locked=True)
        if charge is None:
            return "locked by another run"
        reason = charge_refusal(charge, now, force=force)
        if reason:
            return reason
        # The conditional UPDATE is the real guard (databases without row locks too).
        claimed = ScheduledCharge.objects.filter(pk=charge.pk, status=charge.status).update(
            status=ChargeStatus.PROCESSING,
            attempts=F("attempts") + 1,
            processing_started_at=now,
            next_attempt_at=None,
        )
        if not claimed:
            return "claimed by another run"
        charge.refresh_from_db()
        charge.plan = plan
        _move(
            plan,
            Move.CHARGE_ATTEMPTED,
            actor=actor,
            actor_label=actor_label,
            note=f"Installment {charge.sequence}: attempt {charge.attempts}.",
            data={"charge_id": charge.pk, "attempt": charge.attempts},
        )
    return charge


def attempt_lost(*, charge_id: int, attempts: int, now: datetime) -> bool:
    """Stripe never saw this attempt: put the installment back to be tried again."""
    with transaction.atomic():
        plan, charge = plan_and_charge_lock(charge_id=charge_id)
        if charge.status != ChargeStatus.PROCESSING or charge.attempts != attempts:
            return False
        if plan.status in OPEN_FOR_PAYMENT:
            back = ChargeStatus.SCHEDULED if charge.attempts <= 1 else ChargeStatus.FAILED
        else:
            back = ChargeStatus.CANCELLED  # the plan closed meanwhile: nothing more to collect
        charge.status = back
        charge.next_attempt_at = now if back == ChargeStatus.FAILED else None
        charge.save(update_fields=["status", "next_attempt_at"])
        _move(
            plan,
            Move.ATTEMPT_LOST,
            actor_label="reconcile",
            kind="charge_reconciled",
            note=f"Installment {charge.sequence}: attempt {charge.attempts} never reached "
            + ("Stripe; it will be tried again." if back != ChargeStatus.CANCELLED else "Stripe."),
            data={"charge_id": charge.pk, "attempt": charge.attempts},
        )
    return True


def payment_mismatch(charge: ScheduledCharge, result: gateway.ChargeResult) -> str:
    """Why Stripe's PaymentIntent cannot be this installment's payment ("" when it can):
    it must name this installment, and be for its amount, currency and customer."""
    plan = charge.plan
    named = result.metadata.get("charge_id")
    if named is not None and named != str(charge.pk):
        return f"it names installment id {named}"
    if result.amount_cents and result.amount_cents != charge.amount_cents:
        return f"its amount is {result.amount_cents}, not {charge.amount_cents}"
    if result.currency and result.currency.lower() != charge.currency.lower():
        return f"its currency is {result.currency}, not {charge.currency}"
    if result.customer_id and result.customer_id != plan.stripe_customer_id:
        return "it was paid by another customer"
    if (
        result.payment_intent_id
        and ScheduledCharge.objects.filter(payment_intent_id=result.payment_intent_id)
        .exclude(pk=charge.pk)
        .exists()
    ):
        return "it is already recorded on another installment"
    return ""


def installment_paid(
    *, charge_id: int, result: gateway.ChargeResult, now: datetime, actor=None, actor_label="system"
) -> Change:
    """Stripe took an installment's payment: record it once. On a plan that can still be
    charged, the installment is paid and the plan moves on ("installment_paid" or
    "paid_in_full", reopening a suspended download). Anything else (the plan was refunded,
    cancelled or quit meanwhile; the installment was already paid by another payment) is
    recorded and refunded automatically."""
    with transaction.atomic():
        plan, charge = plan_and_charge_lock(charge_id=charge_id)
        intent_id = result.payment_intent_id or ""
        recorded = charge.status in (ChargeStatus.PAID, ChargeStatus.REFUNDED)
        if recorded and charge.payment_intent_id == intent_id:
            return Change(plan)  # already recorded
        mismatch = payment_mismatch(charge, result)
        if mismatch:
            logger.error(
                "PaymentIntent %s not recorded on installment %s: %s",
                intent_id,
                charge.pk,
                mismatch,
            )
            return Change(plan)
        if charge.status in (ChargeStatus.PAID, ChargeStatus.REFUNDED):
            return _unwanted_payment(plan, charge, result, InstallmentRefund.Reason.DOUBLE_CHARGE)
        charge.status = ChargeStatus.PAID
        charge.paid_at = now
        charge.payment_intent_id = intent_id
        charge.next_attempt_at = None
        charge.failure_code = ""
        charge.confirm_by = None
        charge.save(
            update_fields=[
                "status",
                "paid_at",
                "payment_intent_id",
                "next_attempt_at",
                "failure_code",
                "confirm_by",
            ]
        )
        _source_debit(plan, charge, intent_id)
        # Counted once, under the plan's lock, with this installment already paid.
        paid = plan.charges.filter(status=ChargeStatus.PAID).count()
        collectable = (
            plan.status in ALLOWED_MOVES[Move.INSTALLMENT_PAID][0]
            and paid <= plan.installment_count
        )
        if not collectable or charge.sequence > plan.installment_count:
            return _unwanted_payment(plan, charge, result, InstallmentRefund.Reason.LATE_PAYMENT)
        move = Move.PAID_IN_FULL if paid >= plan.installment_count else Move.INSTALLMENT_PAID
        plan.suspended_at = None  # a payment collected after suspension reopens the download
        _move(
            plan,
            move,
            actor=actor,
            actor_label=actor_label,
            kind="charge_succeeded",
            note=f"Installment {charge.sequence} of {plan.installment_count} paid: "
            f"{money(charge.amount_cents, charge.currency)} {charge.currency}.",
            data={"charge_id": charge.pk, "payment_intent": intent_id},
            extra_fields=("suspended_at",),
        )
        emails = [Email("INSTALLMENT_PAID", {"charge": charge})]
        if move == Move.PAID_IN_FULL:
            emails.append(Email("PAID_IN_FULL", {"charge": charge}))
        return _after_commit(Change(plan, move, emails=emails))


def _unwanted_payment(plan, charge, result, reason) -> Change:
    """A payment that must not be kept: claim its refund (sent after commit, once: the
    refund's idempotency key is the PaymentIntent) and tell the author in the events."""
    intent_id = result.payment_intent_id or ""
    refund, created = InstallmentRefund.objects.get_or_create(
        idempotency_key=f"auto-refund-{intent_id}",
        defaults={
            "plan": plan,
            "charge": charge,
            "payment_intent_id": intent_id,
            "amount_cents": result.amount_cents or charge.amount_cents,
            "currency": charge.currency,
            "reason": reason,
        },
    )
    if not created:
        return Change(plan)
    why = (
        f"installment {charge.sequence} was already paid"
        if reason == InstallmentRefund.Reason.DOUBLE_CHARGE
        else f"the plan is “{plan.get_status_display()}”"
        + (" and the installment was cancelled" if charge.status == ChargeStatus.CANCELLED else "")
    )
    logger.warning("plan %s: unwanted payment %s (%s): refunding", plan.pk, intent_id, why)
    _move(
        plan,
        Move.LATE_PAYMENT_REFUNDING,
        actor_label="system",
        note=f"Stripe took {money(refund.amount_cents, refund.currency)} {refund.currency} "
        f"({intent_id}) but {why}: it is refunded automatically.",
        data={"charge_id": charge.pk, "payment_intent": intent_id, "refund_id": refund.pk},
    )
    return _after_commit(Change(plan, Move.LATE_PAYMENT_REFUNDING, refunds=[refund.pk]))


def retry_days() -> list[int]:
    """Days after the due date on which a failed installment is tried again."""
    return list(settings.BILLING_RETRY_DAYS)


def payment_failed(
    *, charge_id: int, result: gateway.ChargeResult, now: datetime, actor_label="system"
) -> Change:
    """The attempt in flight was refused: the installment is retried on the next retry day
    (``BILLING_RETRY_DAYS``), the plan is "Payment failed" and the customer is emailed."""
    with transaction.atomic():
        plan, charge = plan_and_charge_lock(charge_id=charge_id)
        attempt = result.metadata.get("attempt")
        if charge.status != ChargeStatus.PROCESSING or (
            attempt and attempt != str(charge.attempts)
        ):
            return Change(plan)  # an older attempt, or already recorded
        return _payment_failed(plan, charge, result, now, actor_label)


def _payment_failed(plan, charge, result, now, actor_label) -> Change:
    charge.failure_code = (result.failure_code or result.status)[:64]
    charge.payment_intent_id = result.payment_intent_id or charge.payment_intent_id
    if plan.status not in OPEN_FOR_PAYMENT:
        # The plan closed while the attempt was in flight: nothing more to collect.
        charge.status = ChargeStatus.CANCELLED
        charge.next_attempt_at = None
        charge.save(
            update_fields=["status", "failure_code", "payment_intent_id", "next_attempt_at"]
        )
        event_record(
            plan=plan,
            kind="charge_failed",
            actor_label=actor_label,
            note=f"Installment {charge.sequence}: the last attempt failed after the plan closed.",
            data={"charge_id": charge.pk, "payment_intent": result.payment_intent_id},
        )
        return Change(plan)
    charge.status = ChargeStatus.FAILED
    days = retry_days()
    if charge.attempts <= len(days):
        charge.next_attempt_at = max(
            charge.due_at + timedelta(days=days[charge.attempts - 1]), now + timedelta(hours=1)
        )
    else:
        charge.next_attempt_at = None
    charge.save(update_fields=["status", "failure_code", "payment_intent_id", "next_attempt_at"])
    retry = f"retry on {charge.next_attempt_at:%Y-%m-%d}" if charge.next_attempt_at else "no retry"
    _move(
        plan,
        Move.PAYMENT_FAILED,
        actor_label=actor_label,
        kind="charge_failed",
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
    email = Email(
        "PAYMENT_FAILED",
        {
            "charge": charge,
            "failure_message": result.failure_message,
            "update_card_path": reverse("billing:card-update", args=[plan.pk]),
            # The download stays open while the payment is retried (shop.billing.access).
            "access_ends": charge.due_at + timedelta(days=grace_days()),
        },
    )
    return _after_commit(Change(plan, Move.PAYMENT_FAILED, emails=[email]))


def confirmation_deadline(charge: ScheduledCharge, now: datetime) -> tuple[datetime, datetime]:
    """(confirm by, remind at) for an installment whose bank asks the customer to confirm:
    the same grace period as a failed payment, counted from the due date, reminded halfway.
    At least a day is left to answer."""
    confirm_by = max(charge.due_at + timedelta(days=grace_days()), now + timedelta(days=1))
    return confirm_by, now + (confirm_by - now) / 2


def confirmation_email_context(charge: ScheduledCharge) -> dict:
    """What the "confirm your payment" emails need: the installment, the signed link to the
    confirmation page, the deadline and the way to use another card."""
    return {
        "charge": charge,
        "confirm_path": confirm_link_path(charge),
        "confirm_by": charge.confirm_by,
        "update_card_path": reverse("billing:card-update", args=[charge.plan_id]),
    }


def confirmation_needed(
    *, charge_id: int, result: gateway.ChargeResult, now: datetime, actor_label="system"
) -> Change:
    """The bank asks the cardholder to confirm (3-D Secure): the installment keeps this one
    PaymentIntent and waits for them; it is not retried off-session meanwhile."""
    with transaction.atomic():
        plan, charge = plan_and_charge_lock(charge_id=charge_id)
        attempt = result.metadata.get("attempt")
        if charge.status != ChargeStatus.PROCESSING or (
            attempt and attempt != str(charge.attempts)
        ):
            return Change(plan)
        if not result.payment_intent_id or plan.status not in OPEN_FOR_PAYMENT:
            # Nothing the customer could confirm, or nothing to confirm any more.
            change = _payment_failed(plan, charge, result, now, actor_label)
            if result.payment_intent_id:
                change.intents_to_cancel.append(result.payment_intent_id)
                _after_commit(Change(plan, intents_to_cancel=[result.payment_intent_id]))
            return change
        charge.status = ChargeStatus.AWAITING_CONFIRMATION
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
        _move(
            plan,
            Move.CONFIRMATION_NEEDED,
            actor_label=actor_label,
            note=f"Installment {charge.sequence}, attempt {charge.attempts}: the bank asks the "
            "customer to confirm the payment; they can until "
            f"{charge.confirm_by:%Y-%m-%d %H:%M} UTC.",
            data={
                "charge_id": charge.pk,
                "payment_intent": charge.payment_intent_id,
                "confirm_by": charge.confirm_by.isoformat(),
            },
        )
        email = Email("PAYMENT_CONFIRMATION_NEEDED", confirmation_email_context(charge))
        return _after_commit(Change(plan, Move.CONFIRMATION_NEEDED, emails=[email]))


def _waiting_charge_fail(charge_id: int, intent_id: str):
    """Lock the plan and installment and, if it still waits on ``intent_id``, make it
    "Failed" with no automatic retry. (plan, charge), or None when settled meanwhile."""
    plan, charge = plan_and_charge_lock(charge_id=charge_id)
    if charge.status != ChargeStatus.AWAITING_CONFIRMATION or charge.payment_intent_id != intent_id:
        return None
    charge.status = ChargeStatus.FAILED
    charge.next_attempt_at = None
    charge.save(update_fields=["status", "next_attempt_at"])
    return plan, charge


def confirmation_released(
    *, charge_id: int, intent_id: str, reason: str, actor=None
) -> Change | None:
    """The waiting PaymentIntent was cancelled at Stripe (another card, payments
    cancelled): the installment is "Failed" with no automatic retry, the plan "Payment
    failed". None when something else settled the installment meanwhile."""
    with transaction.atomic():
        failed = _waiting_charge_fail(charge_id, intent_id)
        if failed is None:
            return None
        plan, charge = failed
        _move(
            plan,
            Move.CONFIRMATION_RELEASED,
            actor=actor,
            actor_label="customer" if actor else "system",
            note=f"Installment {charge.sequence}: the payment waiting for confirmation was "
            f"cancelled at Stripe ({reason}).",
            data={"charge_id": charge.pk, "payment_intent": intent_id},
        )
        return Change(plan, Move.CONFIRMATION_RELEASED)


def plan_suspended(
    *, plan_id: int, now: datetime, charge_id: int | None = None, intent_id: str = ""
) -> Change:
    """Stop collecting: no more tries, download ended, customer emailed; once.

    With ``charge_id``/``intent_id``: the customer did not confirm that waiting payment by
    its deadline (cancelled at Stripe by the caller). Without: the retries of a failed
    installment are exhausted and its grace period is over."""
    with transaction.atomic():
        if charge_id is not None:
            failed = _waiting_charge_fail(charge_id, intent_id)
            if failed is None:
                return Change(InstallmentPlan.objects.get(pk=plan_id))
            plan, charge = failed
            note = (
                f"Installment {charge.sequence} was not confirmed by the customer by "
                f"{charge.confirm_by:%Y-%m-%d %H:%M} UTC; the waiting payment was cancelled; "
                "no more tries; download ended."
            )
            extra = {"charge": charge, "confirmation_expired": True}
        else:
            plan = plan_lock(plan_id, skip_locked=True)
            if plan is None or plan.suspended_at is not None:
                return Change(plan or InstallmentPlan.objects.get(pk=plan_id))
            charge = plan.charges.filter(status=ChargeStatus.FAILED).order_by("sequence").first()
            if (
                plan.status != PlanStatus.PAYMENT_FAILED
                or charge is None
                or charge.next_attempt_at is not None
                or charge.due_at > now - timedelta(days=grace_days())
            ):
                return Change(plan)
            note = (
                f"Installment {charge.sequence} could not be collected after "
                f"{charge.attempts} attempts; no more retries; download ended."
            )
            extra = {"charge": charge}
        plan.suspended_at = plan.suspended_at or now
        _move(
            plan,
            Move.SUSPENDED,
            kind="plan_suspended",
            note=note,
            data={"charge_id": charge.pk, "payment_intent": intent_id or None},
            extra_fields=("suspended_at",),
        )
        return _after_commit(Change(plan, Move.SUSPENDED, emails=[Email("PLAN_SUSPENDED", extra)]))


# The customer's and the author's decisions


def plan_cancel_access_end(plan: InstallmentPlan, now: datetime, charges=None) -> datetime:
    """When the download ends if the remaining payments are cancelled at ``now``: the due
    date of the next unpaid installment (the period already paid), or now if it passed.
    ``charges``: the plan's installments when already loaded (a page of plans)."""
    if charges is None:
        upcoming = plan.charges.filter(status__in=UNPAID).order_by("due_at").first()
    else:
        unpaid = (c for c in charges if c.status in UNPAID)
        upcoming = min(unpaid, key=lambda c: c.due_at, default=None)
    if upcoming is None or upcoming.due_at <= now:
        return now
    return upcoming.due_at


def payments_cancelled(
    *, plan_id: int, actor=None, actor_label: str = "customer", now: datetime
) -> Change:
    """Cancel every installment not yet paid, after the tryout; a second call changes
    nothing. Refused while a payment is in flight or waits for the customer's bank (the
    caller cancels a waiting PaymentIntent at Stripe first)."""
    with transaction.atomic():
        plan = plan_lock(plan_id)
        if plan.status == PlanStatus.CANCELLED:
            return Change(plan)
        if plan.status not in ALLOWED_MOVES[Move.PAYMENTS_CANCELLED][0]:
            _check(plan, Move.PAYMENTS_CANCELLED)
        if plan.charges.filter(status=ChargeStatus.PROCESSING).exists():
            raise MoveRefused(
                "A payment is being taken right now. Please try again in a few minutes."
            )
        if plan.charges.filter(status=ChargeStatus.AWAITING_CONFIRMATION).exists():
            raise MoveRefused(
                "A payment is waiting for confirmation right now. Please try again in a minute."
            )
        plan.access_ends_at = plan_cancel_access_end(plan, now)
        cancelled = plan.charges.filter(status__in=UNPAID).update(
            status=ChargeStatus.CANCELLED, next_attempt_at=None
        )
        _move(
            plan,
            Move.PAYMENTS_CANCELLED,
            actor=actor,
            actor_label=actor_label,
            note=f"{cancelled} remaining payments cancelled; download open until "
            f"{plan.access_ends_at:%Y-%m-%d %H:%M} UTC.",
            data={"cancelled": cancelled, "access_ends_at": plan.access_ends_at.isoformat()},
            extra_fields=("access_ends_at",),
        )
        return _after_commit(
            Change(
                plan,
                Move.PAYMENTS_CANCELLED,
                # Ended at once when the payment due had not been taken.
                emails=[Email("PAYMENTS_CANCELLED", {"ended": plan.access_ends_at <= now})],
            )
        )


def card_updated(
    *, plan_id: int, setup_intent_id: str, card: gateway.CardInfo, actor=None
) -> tuple[Change, CardUpdate | None]:
    """Save a newly confirmed card on the plan, once per SetupIntent. Returns the change
    and the card update row (None when this SetupIntent was already used)."""
    with transaction.atomic():
        plan = plan_lock(plan_id)
        if CardUpdate.objects.filter(setup_intent_id=setup_intent_id).exists():
            return Change(plan), None
        try:
            _check(plan, Move.CARD_UPDATED)
        except MoveRefused as exc:
            raise MoveRefused("This plan has no payments left to take.") from exc
        update = CardUpdate.objects.create(
            plan=plan,
            setup_intent_id=setup_intent_id,
            payment_method_id=card.id,
            card_fingerprint=card.fingerprint or "",
        )
        old = f"{plan.card_brand} ····{plan.card_last4}"
        plan.stripe_payment_method_id = card.id
        plan.card_fingerprint = card.fingerprint or ""
        plan.card_brand = card.brand or ""
        plan.card_last4 = card.last4 or ""
        plan.save(
            update_fields=[
                "stripe_payment_method_id",
                "card_fingerprint",
                "card_brand",
                "card_last4",
                "updated_at",
            ]
        )
        _move(
            plan,
            Move.CARD_UPDATED,
            actor=actor,
            actor_label="customer",
            note=f"Card {old} replaced by {card.brand} ····{card.last4}.",
            data={"setup_intent": setup_intent_id, "payment_method": card.id},
        )
        return Change(plan, Move.CARD_UPDATED), update


# Refunds


def refund_requested(
    *,
    charge_id: int,
    amount_cents: int | None,
    actor=None,
    reason: str = InstallmentRefund.Reason.AUTHOR,
) -> InstallmentRefund:
    """Claim a refund of (part of) a paid installment: the amount is reserved in a row
    before Stripe is asked, so two clicks cannot both refund it. A refund that would refund
    the whole plan waits until no payment is being taken (a charge in flight would
    otherwise succeed on a refunded plan)."""
    with transaction.atomic():
        plan, charge = plan_and_charge_lock(charge_id=charge_id)
        if (
            charge.status not in (ChargeStatus.PAID, ChargeStatus.REFUNDED)
            or not charge.payment_intent_id
        ):
            raise MoveRefused(f"Installment {charge.sequence} has not been paid.")
        pending = (
            charge.refunds.filter(
                status=RefundStatus.REQUESTED,
                payment_intent_id=charge.payment_intent_id,
            ).aggregate(total=Sum("amount_cents"))["total"]
            or 0
        )
        left = charge.amount_cents - charge.refunded_cents - pending
        if charge.refunded_cents >= charge.amount_cents:
            raise MoveRefused(f"Installment {charge.sequence} is already fully refunded.")
        if left <= 0:
            raise MoveRefused(
                f"A refund of installment {charge.sequence} is already on its way at Stripe."
            )
        amount = left if amount_cents is None else amount_cents
        if amount <= 0 or amount > left:
            raise MoveRefused(
                f"At most {money(left, charge.currency)} {charge.currency} of installment "
                f"{charge.sequence} can be refunded."
            )
        full = charge.refunded_cents + pending + amount >= charge.amount_cents
        if full and plan.charges.filter(status=ChargeStatus.PROCESSING).exists():
            raise MoveRefused(
                "A payment of this plan is being taken right now. Please try the refund again "
                "in a few minutes, once it is recorded."
            )
        refund = InstallmentRefund.objects.create(
            plan=plan,
            charge=charge,
            payment_intent_id=charge.payment_intent_id,
            amount_cents=amount,
            currency=charge.currency,
            reason=reason,
            idempotency_key=f"refund-{uuid.uuid4().hex}",
            actor=actor,
        )
        _move(
            plan,
            Move.REFUND_REQUESTED,
            actor=actor,
            actor_label="author",
            note=f"Installment {charge.sequence}: refund of {money(amount, charge.currency)} "
            f"{charge.currency} requested at Stripe.",
            data={"charge_id": charge.pk, "refund_id": refund.pk, "cents": amount},
        )
        return refund


def refund_answered(
    *, refund_id: int, info: gateway.RefundInfo | None, failure: str = "", now=None
) -> Change:
    """Record Stripe's answer to a claimed refund: given back (then recorded on the
    installment, see ``refund_recorded``) or refused (the reserved amount is released)."""
    now = now or timezone.now()
    with transaction.atomic():
        refund = InstallmentRefund.objects.get(pk=refund_id)
        plan, charge = plan_and_charge_lock(charge_id=refund.charge_id)
        refund.refresh_from_db()
        if refund.status != RefundStatus.REQUESTED:
            return Change(plan)
        refund.finished_at = now
        if info is None:
            refund.status = RefundStatus.FAILED
            refund.failure_message = failure[:500]
            refund.save(update_fields=["status", "failure_message", "finished_at"])
            event_record(
                plan=plan,
                kind="refund_failed",
                actor_label="stripe",
                note=f"Stripe refused the refund of installment {charge.sequence}: {failure}",
                data={"refund_id": refund.pk},
            )
            return Change(plan, Move.REFUND_FAILED)
        refund.status = RefundStatus.SUCCEEDED
        refund.stripe_refund_id = info.id
        refund.save(update_fields=["status", "stripe_refund_id", "finished_at"])
        if refund.payment_intent_id != charge.payment_intent_id:
            # A second payment of an installment: refunded, never counted as paid.
            event_record(
                plan=plan,
                kind="unwanted_payment_refunded",
                note=f"{money(refund.amount_cents, refund.currency)} {refund.currency} of "
                f"{refund.payment_intent_id} refunded automatically.",
                data={"refund_id": refund.pk, "stripe_refund": info.id},
            )
            return Change(plan, Move.UNWANTED_PAYMENT_REFUNDED)
        total = (
            charge.refunds.filter(
                status=RefundStatus.SUCCEEDED,
                payment_intent_id=charge.payment_intent_id,
            ).aggregate(total=Sum("amount_cents"))["total"]
            or 0
        )
    actor_label = "author" if refund.reason == InstallmentRefund.Reason.AUTHOR else "system"
    return refund_recorded(
        charge_id=charge.pk,
        refunded_total_cents=total,
        reference=info.id,
        actor=refund.actor,
        actor_label=actor_label,
        now=now,
    )


def refund_recorded(
    *,
    charge_id: int,
    refunded_total_cents: int,
    reference: str,
    actor=None,
    actor_label: str = "stripe",
    now: datetime | None = None,
) -> Change:
    """Record that ``refunded_total_cents`` of an installment have been given back in all.

    Idempotent: only the increase over what was already recorded counts, so the author's
    refund and Stripe's webhook about it are recorded once. Refunding an installment in
    full refunds the plan: the remaining installments are cancelled and the download ends
    at once (a plan that was already closed, e.g. an automatic refund, keeps its status)."""
    now = now or timezone.now()
    with transaction.atomic():
        plan, charge = plan_and_charge_lock(charge_id=charge_id)
        refunded_total_cents = min(refunded_total_cents, charge.amount_cents)
        increase = refunded_total_cents - charge.refunded_cents
        if increase <= 0 or charge.status not in (ChargeStatus.PAID, ChargeStatus.REFUNDED):
            return Change(plan)
        charge.refunded_cents = refunded_total_cents
        full = charge.refunded_cents >= charge.amount_cents
        if full:
            charge.status = ChargeStatus.REFUNDED
        charge.save(update_fields=["refunded_cents", "status"])
        _source_refund(plan, charge, increase, reference)
        change = Change(plan)
        cancelled = 0
        if full and plan.status in ALLOWED_MOVES[Move.REFUNDED][0]:
            change.intents_to_cancel = list(
                plan.charges.filter(status=ChargeStatus.AWAITING_CONFIRMATION).values_list(
                    "payment_intent_id", flat=True
                )
            )
            cancelled = plan.charges.filter(status__in=UNPAID).update(
                status=ChargeStatus.CANCELLED, next_attempt_at=None
            )
            plan.access_ends_at = now
            move = Move.REFUNDED
        else:
            move = Move.PARTIALLY_REFUNDED
        closing = f"; plan refunded, {cancelled} remaining payments cancelled."
        _move(
            plan,
            move,
            actor=actor,
            actor_label=actor_label,
            kind="charge_refunded" if full else "charge_partially_refunded",
            note=f"Installment {charge.sequence}: {money(increase, charge.currency)} "
            f"{charge.currency} refunded" + (closing if move == Move.REFUNDED else "."),
            data={"charge_id": charge.pk, "reference": reference, "cents": increase},
            extra_fields=("access_ends_at",) if move == Move.REFUNDED else (),
        )
        change.move = move
        change.emails = [
            Email("REFUND_ISSUED", {"charge": charge, "refunded_cents": increase, "full": full})
        ]
        return _after_commit(change)
