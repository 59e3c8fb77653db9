"""Money given back on an installment by the author (dashboard) or by the shop itself, for a
payment it must not keep. (A refund made in Stripe's own dashboard arrives as the
``charge.refunded`` webhook and is recorded by ``transitions.refund_recorded``.)

A refund is claimed in a row first (``InstallmentRefund``, under the plan's lock: the
amount is reserved, so two clicks cannot both give it back), Stripe is then asked outside
any transaction with the row's idempotency key, and the answer is recorded. When the answer
is lost the row stays "requested" and the billing run asks again with the same key.

Our rule: refunding an installment in full refunds the plan (remaining installments
cancelled, download ended, order "Refunded"); a partial refund is recorded and changes
nothing else. See ``shop.billing.transitions``.
"""

import logging
from datetime import datetime, timedelta

from django.utils import timezone

from shop import gateway
from shop.billing import transitions
from shop.billing.models import InstallmentRefund, RefundStatus

logger = logging.getLogger(__name__)

# A refund still "requested" after this long lost its answer: ask Stripe again.
REFUND_RETRY_AFTER = timedelta(minutes=2)


def refund_issue(*, refund_id: int, now: datetime | None = None) -> str:
    """Ask Stripe for a claimed refund and record the answer: "succeeded", "failed", or
    "requested" when Stripe could not be reached (the billing run asks again later)."""
    refund = InstallmentRefund.objects.get(pk=refund_id)
    if refund.status != RefundStatus.REQUESTED:
        return refund.status
    try:
        info = gateway.refund_create(
            payment_intent_id=refund.payment_intent_id,
            amount_cents=refund.amount_cents,
            metadata={
                "charge_id": str(refund.charge_id),
                "plan_id": str(refund.plan_id),
                "refund_id": str(refund.pk),
                "reason": refund.reason,
            },
            idempotency_key=refund.idempotency_key,
        )
    except gateway.PaymentProviderUnavailable as exc:
        logger.error(
            "refund %s of installment %s (plan %s): Stripe unreachable during %s; "
            "still requested, asked again by the next billing run",
            refund.pk,
            refund.charge_id,
            refund.plan_id,
            exc.action or "refund_create",
        )
        return RefundStatus.REQUESTED
    except gateway.GatewayError as exc:
        logger.error("refund %s refused by Stripe: %s", refund.pk, exc)
        transitions.refund_answered(refund_id=refund.pk, info=None, failure=exc.user_message)
        return RefundStatus.FAILED
    transitions.refund_answered(refund_id=refund.pk, info=info, now=now)
    return RefundStatus.SUCCEEDED


def refunds_owed_issue(sender, *, refund_ids: list[int], **kwargs) -> None:
    """Ask Stripe for the refunds a plan change claimed (``transitions.refunds_owed``)."""
    for refund_id in refund_ids:
        refund_issue(refund_id=refund_id)


def installment_refund(
    *, charge_id: int, amount_cents: int | None = None, actor=None, now=None
) -> int:
    """The author refunds (part of) a paid installment. Refuses to give back more than was
    paid and not yet refunded or being refunded, and a whole-plan refund while a payment is
    being taken. Returns the cents refunded; raises ``MoveRefused`` with a message for the
    author, or ``PaymentProviderUnavailable`` (the refund is then completed later)."""
    refund = transitions.refund_requested(
        charge_id=charge_id, amount_cents=amount_cents, actor=actor
    )
    outcome = refund_issue(refund_id=refund.pk, now=now)
    if outcome == RefundStatus.REQUESTED:
        raise gateway.PaymentProviderUnavailable()
    if outcome == RefundStatus.FAILED:
        refund.refresh_from_db()
        raise transitions.MoveRefused(
            f"Stripe refused the refund: {refund.failure_message or 'no reason given'}."
        )
    return refund.amount_cents


def refunds_pending(*, now: datetime):
    """Refunds claimed but not answered for a while (Stripe was unreachable)."""
    return InstallmentRefund.objects.filter(
        status=RefundStatus.REQUESTED, created_at__lt=now - REFUND_RETRY_AFTER
    )


def refunds_retry(*, now: datetime | None = None) -> list[int]:
    """Ask Stripe again for each pending refund (same idempotency key); their ids."""
    now = now or timezone.now()
    done = []
    for refund_id in list(refunds_pending(now=now).values_list("pk", flat=True)):
        if refund_issue(refund_id=refund_id, now=now) != RefundStatus.REQUESTED:
            done.append(refund_id)
    return done
