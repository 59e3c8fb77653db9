"""Money given back on an installment, whoever started it (the author on the dashboard,
or Stripe's ``charge.refunded`` webhook for a refund made in Stripe's own dashboard).

Our rule: refunding an installment in full refunds the plan: the remaining installments
are cancelled, the download ends at once and the order becomes "Refunded". A partial
refund is recorded (Oscar payment event, source, plan event) and changes nothing else.
"""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from shop import gateway
from shop.billing.access import grant_sync
from shop.billing.charging import (
    _money,
    order_status_follow,
    payment_event_add,
    plan_and_charge_lock,
)
from shop.billing.confirmation import waiting_intents_cancel
from shop.billing.emails import plan_email_send
from shop.billing.models import InstallmentPlan, ScheduledCharge
from shop.billing.services import PlanActionNotAllowed, plan_event_record

logger = logging.getLogger(__name__)

Status = ScheduledCharge.Status


def charge_refund_record(
    *,
    charge_id: int,
    refunded_total_cents: int,
    reference: str,
    actor=None,
    actor_label: str = "stripe",
    now: datetime | None = None,
) -> bool:
    """Record that ``refunded_total_cents`` of an installment have been given back in all.

    Idempotent: only the increase over what was already recorded counts, so the author's
    refund and Stripe's webhook about it are recorded once. True when something changed."""
    now = now or timezone.now()
    with transaction.atomic():
        plan, charge = plan_and_charge_lock(charge_id=charge_id)
        refunded_total_cents = min(refunded_total_cents, charge.amount_cents)
        increase = refunded_total_cents - charge.refunded_cents
        if increase <= 0:
            return False
        charge.refunded_cents = refunded_total_cents
        full = charge.refunded_cents >= charge.amount_cents
        if full:
            charge.status = Status.REFUNDED
        charge.save(update_fields=["refunded_cents", "status"])
        order = plan.order
        payment_event_add(order=order, name="Refunded", amount_cents=increase, reference=reference)
        source = order.sources.first()
        if source is not None:
            source.refund(_money(increase, currency=charge.currency), reference=reference)
        cancelled = 0
        if full and plan.status != InstallmentPlan.Status.REFUNDED:
            waiting = list(
                plan.charges.filter(status=Status.AWAITING_CONFIRMATION).values_list(
                    "payment_intent_id", flat=True
                )
            )
            cancelled = plan.charges.filter(
                status__in=[Status.SCHEDULED, Status.FAILED, Status.AWAITING_CONFIRMATION]
            ).update(status=Status.CANCELLED, next_attempt_at=None)
            if waiting:
                # The page refuses them from now on; Stripe must not take them either.
                transaction.on_commit(lambda: waiting_intents_cancel(waiting))
            plan.status = InstallmentPlan.Status.REFUNDED
            plan.access_ends_at = now
            plan.save(update_fields=["status", "access_ends_at", "updated_at"])
            grant_sync(plan)
            order_status_follow(plan)
        plan_event_record(
            plan=plan,
            kind="charge_refunded" if full else "charge_partially_refunded",
            actor=actor,
            actor_label=actor_label,
            note=f"Installment {charge.sequence}: "
            f"{_money(increase, currency=charge.currency)} {charge.currency} refunded"
            + (f"; plan refunded, {cancelled} remaining payments cancelled." if full else "."),
            data={"charge_id": charge.pk, "reference": reference, "cents": increase},
        )
        extra = {"charge": charge, "refunded_cents": increase, "full": full}
        transaction.on_commit(lambda: plan_email_send(plan=plan, code="REFUND_ISSUED", extra=extra))
    return True


def installment_refund(
    *, charge_id: int, amount_cents: int | None = None, actor=None, now=None
) -> int:
    """Refund (part of) a paid installment at Stripe, then record it. Refuses to give back
    more than was paid and not yet refunded (Stripe's stand-in would allow it). Returns the
    cents refunded; raises PlanActionNotAllowed with a message for the author."""
    with transaction.atomic():
        # Locked across the refund call: two clicks at once cannot both refund (the
        # stand-in ignores idempotency keys). Staff-only and rare, so the wait is fine.
        _, charge = plan_and_charge_lock(charge_id=charge_id)
        return _installment_refund_locked(charge, amount_cents, actor, now)


def _installment_refund_locked(charge, amount_cents, actor, now) -> int:
    left = charge.amount_cents - charge.refunded_cents
    if charge.status not in (Status.PAID, Status.REFUNDED) or not charge.payment_intent_id:
        raise PlanActionNotAllowed(f"Installment {charge.sequence} has not been paid.")
    if left <= 0:
        raise PlanActionNotAllowed(f"Installment {charge.sequence} is already fully refunded.")
    amount = left if amount_cents is None else amount_cents
    if amount <= 0 or amount > left:
        raise PlanActionNotAllowed(
            f"At most {_money(left, currency=charge.currency)} {charge.currency} "
            f"of installment {charge.sequence} "
            "can be refunded."
        )
    info = gateway.refund_create(
        payment_intent_id=charge.payment_intent_id,
        amount_cents=amount,
        metadata={"charge_id": str(charge.pk), "plan_id": str(charge.plan_id)},
        # Keyed by what was refunded before: a double click cannot refund twice.
        idempotency_key=f"refund-{charge.pk}-from-{charge.refunded_cents}-{amount}",
    )
    charge_refund_record(
        charge_id=charge.pk,
        refunded_total_cents=charge.refunded_cents + info.amount_cents,
        reference=info.id,
        actor=actor,
        actor_label="author",
        now=now,
    )
    return info.amount_cents
