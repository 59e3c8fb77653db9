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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.utils import timezone

from shop import gateway
from shop.billing import transitions
from shop.billing.models import ChargeStatus, ScheduledCharge
from shop.billing.transitions import money

logger = logging.getLogger(__name__)


def _money(cents: int, *, currency: str = "USD"):
    """An amount in the currency's smallest unit as a Decimal (kept for callers)."""
    return money(cents, currency)


# What Stripe may answer for an attempt that is over, short of taking the money.
DECIDED = (gateway.PaymentStatus.FAILED, gateway.PaymentStatus.REQUIRES_ACTION)

# Plans that may still be charged (a suspended plan is excluded separately).
CHARGEABLE_PLAN_STATUSES = tuple(transitions.OPEN_FOR_PAYMENT)


class AttemptOutcome(StrEnum):
    """What became of one attempt to charge an installment: Stripe's answer, or why there
    was none."""

    # Not charged: not due, claimed by another run, or refused (the attempt's ``reason``).
    SKIPPED = "skipped"
    SUCCEEDED = gateway.PaymentStatus.SUCCEEDED
    FAILED = gateway.PaymentStatus.FAILED
    REQUIRES_ACTION = gateway.PaymentStatus.REQUIRES_ACTION
    PROCESSING = gateway.PaymentStatus.PROCESSING
    # Stripe could not be reached: a later billing run reconciles the attempt.
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ChargeAttempt:
    """What one call of ``charge_installment`` did."""

    charge_id: int
    outcome: AttemptOutcome
    reason: str = ""


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
    claimed = transitions.charge_attempted(
        charge_id=charge_id, now=now, actor=actor, actor_label=actor_label, force=force
    )
    if isinstance(claimed, str):
        return ChargeAttempt(charge_id, AttemptOutcome.SKIPPED, claimed)
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
    except gateway.PaymentProviderUnavailable as exc:
        # The charge may or may not have happened: reconciliation finds out later.
        logger.error(
            "charge %s of plan %s attempt %s: outcome unknown, Stripe unreachable during %s; "
            "left processing for the next billing run to reconcile",
            charge.pk,
            plan.pk,
            charge.attempts,
            exc.action or "charge_off_session",
        )
        return ChargeAttempt(charge.pk, AttemptOutcome.UNKNOWN, "payment provider unavailable")
    except gateway.GatewayError as exc:
        logger.error("charge %s refused by the provider: %s", charge.pk, exc)
        result = gateway.ChargeResult(
            status=gateway.PaymentStatus.FAILED,
            payment_intent_id=None,
            client_secret=None,
            failure_code=exc.code or "gateway_error",
            failure_message=exc.user_message,
            metadata={"charge_id": str(charge.pk), "attempt": str(charge.attempts)},
        )
    charge_outcome_record(charge_id=charge.pk, result=result, now=now, actor_label=actor_label)
    return ChargeAttempt(charge.pk, AttemptOutcome(result.status))


def charge_outcome_record(
    *,
    charge_id: int,
    result: gateway.ChargeResult,
    now: datetime | None = None,
    actor_label: str = "system",
) -> bool:
    """Record what Stripe says became of an installment; True when something changed.

    Idempotent: a success is recorded once, and only on the installment the PaymentIntent
    was made for (see ``transitions.payment_mismatch``); a second success for a paid
    installment, or one for a plan closed meanwhile, is refunded automatically; a failure
    only counts for the attempt in flight."""
    now = now or timezone.now()
    move: Callable[..., transitions.Change]
    if result.status == gateway.PaymentStatus.SUCCEEDED:
        move = transitions.installment_paid
    elif result.status == gateway.PaymentStatus.REQUIRES_ACTION:
        move = transitions.confirmation_needed
    elif result.status == gateway.PaymentStatus.FAILED:
        move = transitions.payment_failed
    else:
        return False  # "processing": stays as it is until Stripe decides
    return move(charge_id=charge_id, result=result, now=now, actor_label=actor_label).changed


def reconcile_charge(charge: ScheduledCharge, *, now: datetime | None = None) -> str:
    """Settle an installment left PROCESSING (a crash or a lost answer) by asking Stripe for
    the PaymentIntents carrying its charge id. Returns what was found."""
    now = now or timezone.now()
    charge = ScheduledCharge.objects.select_related("plan").get(pk=charge.pk)
    if charge.status != ChargeStatus.PROCESSING:
        return f"not processing ({charge.status})"
    intents = gateway.payment_intents_for(
        customer_id=charge.plan.stripe_customer_id,
        metadata_key="charge_id",
        metadata_value=str(charge.pk),
    )
    succeeded = [i for i in intents if i.status == gateway.PaymentStatus.SUCCEEDED]
    if succeeded:
        for intent in succeeded:
            charge_outcome_record(
                charge_id=charge.pk, result=intent, now=now, actor_label="reconcile"
            )
        return "paid"
    current = [i for i in intents if i.metadata.get("attempt") == str(charge.attempts)]
    if any(i.status == gateway.PaymentStatus.PROCESSING for i in current):
        return "still processing at Stripe"
    decided = [i for i in current if i.status in DECIDED]
    if decided:
        charge_outcome_record(
            charge_id=charge.pk, result=decided[0], now=now, actor_label="reconcile"
        )
        return decided[0].status
    # Stripe never saw this attempt: put the installment back to be tried again.
    transitions.attempt_lost(charge_id=charge.pk, attempts=charge.attempts, now=now)
    return "not charged"


def stale_processing_charges(*, now: datetime):
    """Installments left PROCESSING longer than ``BILLING_PROCESSING_STALE_MINUTES``."""
    minutes = settings.BILLING_PROCESSING_STALE_MINUTES
    return ScheduledCharge.objects.filter(
        status=ChargeStatus.PROCESSING, processing_started_at__lt=now - timedelta(minutes=minutes)
    )
