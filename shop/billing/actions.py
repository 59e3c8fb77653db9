"""What the author (dashboard) and the customer ("My program") can do to a running plan.

Cancelling the remaining payments (our rule, shown to both): nothing more is charged and
the download stays open until the date the next payment would have been taken, i.e. for
the period already paid; when that date has passed (a payment failed), it ends at once.
"""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from shop import gateway
from shop.billing.access import grant_sync
from shop.billing.charging import ChargeAttempt, charge_installment, order_status_follow
from shop.billing.confirmation import confirmation_release
from shop.billing.emails import plan_email_send
from shop.billing.models import InstallmentPlan, ScheduledCharge
from shop.billing.services import PlanActionNotAllowed, plan_event_record

logger = logging.getLogger(__name__)

Status = ScheduledCharge.Status
PlanStatus = InstallmentPlan.Status

CANCELLABLE = (
    PlanStatus.INSTALLMENT_PAID,
    PlanStatus.PAYMENT_FAILED,
    PlanStatus.CONFIRMATION_NEEDED,
)
UNPAID = (Status.SCHEDULED, Status.FAILED, Status.AWAITING_CONFIRMATION)


def plan_cancel_access_end(plan: InstallmentPlan, now: datetime) -> datetime:
    """When the download ends if the remaining payments are cancelled at ``now``."""
    upcoming = plan.charges.filter(status__in=UNPAID).order_by("due_at").first()
    if upcoming is None or upcoming.due_at <= now:
        return now
    return upcoming.due_at


def plan_payments_cancel(
    *, plan_id: int, actor=None, actor_label: str = "customer", now: datetime | None = None
) -> tuple[InstallmentPlan, bool]:
    """Cancel every installment not yet paid, after the tryout. Returns (plan, changed);
    a second call changes nothing. During the tryout, quitting is the way.

    A payment waiting for the customer's confirmation is cancelled at Stripe first, so it
    can never go through afterwards; if it already has, it is recorded as paid."""
    now = now or timezone.now()
    for charge in ScheduledCharge.objects.filter(
        plan_id=plan_id, status=Status.AWAITING_CONFIRMATION
    ):
        try:
            confirmation_release(
                charge_id=charge.pk, reason="remaining payments cancelled", actor=actor, now=now
            )
        except gateway.GatewayError as exc:
            raise PlanActionNotAllowed(
                "The payment waiting for confirmation could not be stopped just now. "
                "Please try again in a few minutes."
            ) from exc
    with transaction.atomic():
        plan = (
            InstallmentPlan.objects.select_for_update(of=("self",))
            .select_related("order")
            .get(pk=plan_id)
        )
        if plan.status == PlanStatus.CANCELLED:
            return plan, False
        if plan.status not in CANCELLABLE:
            raise PlanActionNotAllowed(
                f"The payments of a plan that is “{plan.get_status_display()}” cannot be cancelled."
            )
        if plan.charges.filter(status=Status.PROCESSING).exists():
            raise PlanActionNotAllowed(
                "A payment is being taken right now. Please try again in a few minutes."
            )
        plan.access_ends_at = plan_cancel_access_end(plan, now)
        if plan.charges.filter(status=Status.AWAITING_CONFIRMATION).exists():
            raise PlanActionNotAllowed(
                "A payment is waiting for confirmation right now. Please try again in a minute."
            )
        cancelled = plan.charges.filter(status__in=UNPAID).update(
            status=Status.CANCELLED, next_attempt_at=None
        )
        plan.status = PlanStatus.CANCELLED
        plan.save(update_fields=["status", "access_ends_at", "updated_at"])
        grant_sync(plan)
        order_status_follow(plan)
        plan_event_record(
            plan=plan,
            kind="payments_cancelled",
            actor=actor,
            actor_label=actor_label,
            note=f"{cancelled} remaining payments cancelled; download open until "
            f"{plan.access_ends_at:%Y-%m-%d %H:%M} UTC.",
            data={"cancelled": cancelled, "access_ends_at": plan.access_ends_at.isoformat()},
        )
        transaction.on_commit(lambda: plan_email_send(plan=plan, code="PAYMENTS_CANCELLED"))
    return plan, True


def installment_retry_now(
    *, charge_id: int, actor=None, actor_label: str = "author", now: datetime | None = None
) -> ChargeAttempt:
    """Try a failed installment at once, whatever its retry time (also for a suspended
    plan). A second click finds it paid or in progress and does nothing."""
    charge = ScheduledCharge.objects.get(pk=charge_id)
    if charge.status != Status.FAILED:
        raise PlanActionNotAllowed(
            f"Installment {charge.sequence} is “{charge.get_status_display()}”: "
            "only a failed payment can be retried."
        )
    return charge_installment(
        charge_id=charge_id, now=now, actor=actor, actor_label=actor_label, force=True
    )


def plan_card_update(
    *, plan_id: int, setup_intent_id: str, actor=None, now: datetime | None = None
) -> list[ChargeAttempt]:
    """Save the card confirmed through ``setup_intent_id`` on the plan, then try every
    failed installment with it at once. Returns those attempts (empty when none failed).

    Trusts only Stripe: the SetupIntent must belong to the plan's customer and have
    succeeded; the card is attached to that customer. A payment waiting for the customer's
    confirmation on the old card is cancelled at Stripe first and charged to the new card
    (if it went through meanwhile, it is recorded and the new card is kept for later)."""
    plan = InstallmentPlan.objects.get(pk=plan_id)
    if plan.status not in (
        PlanStatus.TRIALING,
        PlanStatus.INSTALLMENT_PAID,
        PlanStatus.PAYMENT_FAILED,
        PlanStatus.CONFIRMATION_NEEDED,
    ):
        raise PlanActionNotAllowed("This plan has no payments left to take.")
    intent = gateway.setup_intent_retrieve(setup_intent_id)
    if intent.customer_id != plan.stripe_customer_id:
        raise PlanActionNotAllowed("Your card details did not reach us. Please enter them again.")
    if intent.status != "succeeded" or not intent.payment_method_id:
        raise PlanActionNotAllowed(
            "Your card could not be saved. Please check the details or try another card."
        )
    card = gateway.card_attach(
        payment_method_id=intent.payment_method_id, customer_id=plan.stripe_customer_id
    )
    with transaction.atomic():
        plan = InstallmentPlan.objects.select_for_update().get(pk=plan_id)
        if plan.stripe_payment_method_id != card.id:
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
            plan_event_record(
                plan=plan,
                kind="card_updated",
                actor=actor,
                actor_label="customer",
                note=f"Card {old} replaced by {card.brand} ····{card.last4}.",
                data={"setup_intent": intent.id, "payment_method": card.id},
            )
    for waiting in plan.charges.filter(status=Status.AWAITING_CONFIRMATION):
        confirmation_release(
            charge_id=waiting.pk, reason="the customer chose another card", actor=actor, now=now
        )
    failed = plan.charges.filter(status=Status.FAILED).order_by("sequence")
    return [
        charge_installment(
            charge_id=charge.pk, now=now, actor=actor, actor_label="customer", force=True
        )
        for charge in failed
    ]
