"""The billing run: what the clock does every minute for installment plans.

Each run, in order: reconcile installments left PROCESSING (a crash or a lost answer),
charge installments that are due and retry failed ones whose time has come, send the
reminder before each payment (``shop.billing.reminders``), remind customers whose bank
asks them to confirm a payment halfway to their deadline, and suspend plans whose retries
are exhausted or whose payment was not confirmed in time (``shop.billing.confirmation``),
ask Stripe again for refunds whose answer was lost, and send the emails a mail failure held
back (``shop.billing.emails``).

Suspension (our choice): the plan keeps the status "Payment failed" (the order too) and
gets ``suspended_at``; no installment is tried again automatically, the download grant
ends, and the customer is emailed. A new card ("Update card") or the author's "retry now"
can still collect the payment, which reopens the download.

Overlapping runs and crashes are safe: every step claims its row with a conditional
UPDATE under a ``skip_locked`` row lock, and the charging step is reconciled with Stripe.

A database connection lost during one plan's step is logged with that plan's or
installment's id; the run opens a new connection and goes on with the others. A charge stays
"processing" and a later run reconciles it with Stripe, once; a reminder or a suspension not
written is done by a later run.
"""

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.db import InterfaceError, OperationalError, close_old_connections
from django.db.models import Q
from django.utils import timezone

from shop import gateway
from shop.billing import transitions
from shop.billing.access import grace_days
from shop.billing.charging import (
    CHARGEABLE_PLAN_STATUSES,
    AttemptOutcome,
    charge_installment,
    reconcile_charge,
    stale_processing_charges,
)
from shop.billing.confirmation import (
    ExpiryOutcome,
    confirmation_expire,
    confirmation_reminder_send,
    confirmation_reminders_due,
    confirmations_expired,
)
from shop.billing.emails import emails_send_unsent
from shop.billing.models import ChargeStatus, InstallmentPlan, PlanStatus, ScheduledCharge
from shop.billing.refunds import refunds_retry
from shop.billing.reminders import payment_reminder_send, payment_reminders_due

logger = logging.getLogger(__name__)

# What a dropped database connection raises (a restart, a network cut).
DATABASE_LOST = (OperationalError, InterfaceError)


@dataclass
class RunReport:
    """What one billing run did, by installment or plan id."""

    reconciled: list[int] = field(default_factory=list)
    charged: dict[int, str] = field(default_factory=dict)
    # The installments whose reminder this run sent.
    reminded: list[int] = field(default_factory=list)
    confirmation_reminded: list[int] = field(default_factory=list)
    suspended: list[int] = field(default_factory=list)
    refunds: list[int] = field(default_factory=list)
    emails: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The report as JSON-ready data (ids as strings where they are keys)."""
        data = asdict(self)
        data["charged"] = {str(k): v for k, v in self.charged.items()}
        return data


def charges_due(*, now: datetime):
    """Installments to try now: due and scheduled, or failed with their retry time passed."""
    return (
        ScheduledCharge.objects.filter(
            plan__status__in=CHARGEABLE_PLAN_STATUSES, plan__suspended_at__isnull=True
        )
        .filter(
            Q(status=ChargeStatus.SCHEDULED, due_at__lte=now)
            | Q(status=ChargeStatus.FAILED, next_attempt_at__lte=now)
        )
        .order_by("due_at", "sequence")
    )


def plans_to_suspend(*, now: datetime):
    """Plans in "Payment failed" with an installment that will not be retried and whose
    grace period (``BILLING_GRACE_DAYS`` after its due date) is over."""
    return InstallmentPlan.objects.filter(
        status=PlanStatus.PAYMENT_FAILED,
        suspended_at__isnull=True,
        charges__status=ChargeStatus.FAILED,
        charges__next_attempt_at__isnull=True,
        charges__due_at__lte=now - timedelta(days=grace_days()),
    ).distinct()


def plan_suspend(*, plan_id: int, now: datetime | None = None) -> bool:
    """Stop collecting a plan whose retries are exhausted and end its download; once."""
    now = now or timezone.now()
    return transitions.plan_suspended(plan_id=plan_id, now=now).changed


def _unless_refused(step, **kwargs):
    """One plan's step; a move its plan no longer allows (logged where refused) is skipped,
    and so is one whose database connection was lost (logged here; its row was not changed,
    so a later run does it), so one plan never stops the run for the others."""
    try:
        return step(**kwargs)
    except transitions.MoveRefused:
        return None
    except DATABASE_LOST:
        logger.error(
            "%s %s: database connection lost; a later run does it",
            step.__name__,
            ", ".join(f"{name}={value}" for name, value in kwargs.items() if name != "now"),
            exc_info=True,
        )
        close_old_connections()
        return None


def _database_lost(what: str, charge_id: int) -> None:
    logger.error(
        "charge %s: database connection lost during %s; a later run reconciles it",
        charge_id,
        what,
        exc_info=True,
    )
    # Django keeps the dead connection until told: drop it, so the next query reconnects.
    close_old_connections()


def billing_run(*, now: datetime | None = None) -> RunReport:
    """One pass of the billing clock at ``now`` (default: the current time)."""
    now = now or timezone.now()
    report = RunReport()
    for charge in stale_processing_charges(now=now):
        try:
            found = reconcile_charge(charge, now=now)
        except gateway.PaymentProviderUnavailable:
            logger.warning("charge %s: reconciliation postponed, provider unavailable", charge.pk)
            continue
        except DATABASE_LOST:
            _database_lost("reconciliation", charge.pk)
            continue
        report.reconciled.append(charge.pk)
        logger.info("charge %s reconciled: %s", charge.pk, found)
    for charge_id in list(charges_due(now=now).values_list("pk", flat=True)):
        try:
            attempt = charge_installment(charge_id=charge_id, now=now)
        except DATABASE_LOST:
            _database_lost("charging", charge_id)
            continue
        if attempt.outcome != AttemptOutcome.SKIPPED:
            report.charged[charge_id] = attempt.outcome
    for charge_id in list(payment_reminders_due(now=now).values_list("pk", flat=True)):
        if _unless_refused(payment_reminder_send, charge_id=charge_id, now=now):
            report.reminded.append(charge_id)
    for charge_id in list(confirmation_reminders_due(now=now).values_list("pk", flat=True)):
        if _unless_refused(confirmation_reminder_send, charge_id=charge_id, now=now):
            report.confirmation_reminded.append(charge_id)
    for charge_id, plan_id in list(confirmations_expired(now=now).values_list("pk", "plan_id")):
        try:
            expired = _unless_refused(confirmation_expire, charge_id=charge_id, now=now)
            if expired == ExpiryOutcome.SUSPENDED:
                report.suspended.append(plan_id)
        except gateway.PaymentProviderUnavailable:
            logger.warning("charge %s: expiry postponed, provider unavailable", charge_id)
    for plan_id in list(plans_to_suspend(now=now).values_list("pk", flat=True)):
        if _unless_refused(plan_suspend, plan_id=plan_id, now=now):
            report.suspended.append(plan_id)
    # Refunds whose answer was lost (Stripe unreachable) are asked for again, same key.
    report.refunds = refunds_retry(now=now)
    # Last, so the emails this run owes are tried once more after their first send.
    report.emails = emails_send_unsent(now=now)
    return report
