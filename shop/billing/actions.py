"""What the author (dashboard) and the customer ("My program") can do to a running plan.

Cancelling the remaining payments (our rule, shown to both): nothing more is charged and
the download stays open until the date the next payment would have been taken, i.e. for
the period already paid; when that date has passed (a payment failed), it ends at once.

A new card retries a failed payment once: the same confirmed card (SetupIntent) saved
again changes nothing, and at most ``BILLING_CARD_RETRIES_PER_DAY`` new cards a day lead
to a charge, so "Update card" cannot be used to try card after card.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from shop import gateway
from shop.billing import transitions
from shop.billing.charging import AttemptOutcome, ChargeAttempt, charge_installment
from shop.billing.confirmation import confirmation_release
from shop.billing.models import (
    CardUpdate,
    ChargeStatus,
    InstallmentPlan,
    PlanStatus,
    ScheduledCharge,
)
from shop.billing.transitions import MoveRefused, plan_cancel_access_end  # noqa: F401

logger = logging.getLogger(__name__)


def card_retries_per_day() -> int:
    return settings.BILLING_CARD_RETRIES_PER_DAY


def plan_payments_cancel(
    *, plan_id: int, actor=None, actor_label: str = "customer", now: datetime | None = None
) -> tuple[InstallmentPlan, bool]:
    """Cancel every installment not yet paid, after the tryout. Returns (plan, changed);
    a second call changes nothing. During the tryout, quitting is the way.

    A payment waiting for the customer's confirmation is cancelled at Stripe first, so it
    can never go through afterwards; if it already has, it is recorded as paid."""
    now = now or timezone.now()
    for charge in ScheduledCharge.objects.filter(
        plan_id=plan_id, status=ChargeStatus.AWAITING_CONFIRMATION
    ):
        try:
            confirmation_release(
                charge_id=charge.pk, reason="remaining payments cancelled", actor=actor, now=now
            )
        except gateway.GatewayError as exc:
            raise MoveRefused(
                "The payment waiting for confirmation could not be stopped just now. "
                "Please try again in a few minutes."
            ) from exc
    try:
        change = transitions.payments_cancelled(
            plan_id=plan_id, actor=actor, actor_label=actor_label, now=now
        )
    except MoveRefused as exc:
        plan = InstallmentPlan.objects.get(pk=plan_id)
        if plan.status in (PlanStatus.TRIALING, PlanStatus.TRIAL_QUIT, PlanStatus.PAID_IN_FULL):
            raise MoveRefused(
                f"The payments of a plan that is “{plan.get_status_display()}” cannot be cancelled."
            ) from exc
        raise
    return change.plan, change.changed


def installment_retry_now(
    *, charge_id: int, actor=None, actor_label: str = "author", now: datetime | None = None
) -> ChargeAttempt:
    """Try a failed installment at once, whatever its retry time (also for a suspended
    plan). A second click finds it paid or in progress and does nothing."""
    charge = ScheduledCharge.objects.get(pk=charge_id)
    if charge.status != ChargeStatus.FAILED:
        raise MoveRefused(
            f"Payment {charge.sequence} is “{charge.get_status_display()}”: "
            "only a failed payment can be retried."
        )
    return charge_installment(
        charge_id=charge_id, now=now, actor=actor, actor_label=actor_label, force=True
    )


def plan_card_update(
    *, plan_id: int, setup_intent_id: str, actor=None, now: datetime | None = None
) -> list[ChargeAttempt]:
    """Save the card confirmed through ``setup_intent_id`` on the plan, then try the failed
    installment with it at once. Returns those attempts (empty when none was tried).

    Trusts only Stripe: the SetupIntent must belong to the plan's customer and have
    succeeded; the card is attached to that customer. Each SetupIntent is used once, and a
    failed payment is retried once per new card and at most ``BILLING_CARD_RETRIES_PER_DAY``
    times a day. A payment waiting for the customer's confirmation on the old card is
    cancelled at Stripe first and charged to the new card (if it went through meanwhile,
    it is recorded and the new card is kept for later)."""
    now = now or timezone.now()
    plan = InstallmentPlan.objects.get(pk=plan_id)
    if plan.status not in transitions.OPEN_FOR_PAYMENT:
        raise MoveRefused("This plan has no payments left to take.")
    if CardUpdate.objects.filter(setup_intent_id=setup_intent_id).exists():
        return []  # this card was saved already: nothing is charged again
    intent = gateway.setup_intent_retrieve(setup_intent_id)
    if intent.customer_id != plan.stripe_customer_id:
        raise MoveRefused("Your card details did not reach us. Please enter them again.")
    if intent.status != gateway.IntentStatus.SUCCEEDED or not intent.payment_method_id:
        raise MoveRefused(
            "Your card could not be saved. Please check the details or try another card."
        )
    card = gateway.card_attach(
        payment_method_id=intent.payment_method_id, customer_id=plan.stripe_customer_id
    )
    change, update = transitions.card_updated(
        plan_id=plan_id, setup_intent_id=intent.id, card=card, actor=actor
    )
    if update is None:
        return []  # the same card saved twice at once: the other request retries
    for waiting in plan.charges.filter(status=ChargeStatus.AWAITING_CONFIRMATION):
        confirmation_release(
            charge_id=waiting.pk, reason="the customer chose another card", actor=actor, now=now
        )
    failed = plan.charges.filter(status=ChargeStatus.FAILED).order_by("sequence").first()
    if failed is None:
        return []
    if not _card_retry_allowed(plan, update, now):
        transitions.event_record(
            plan=plan,
            kind="card_retry_refused",
            actor=actor,
            actor_label="customer",
            note="The new card was saved; the failed payment was not tried again with it "
            f"(one try per card, at most {card_retries_per_day()} new cards a day).",
            data={"setup_intent": intent.id},
        )
        return [ChargeAttempt(failed.pk, AttemptOutcome.SKIPPED, "card retry limit")]
    CardUpdate.objects.filter(pk=update.pk).update(retried=True)
    return [
        charge_installment(
            charge_id=failed.pk, now=now, actor=actor, actor_label="customer", force=True
        )
    ]


def _card_retry_allowed(plan: InstallmentPlan, update: CardUpdate, now: datetime) -> bool:
    """One retry per card (fingerprint) and at most a few retries a day for a plan."""
    earlier = CardUpdate.objects.filter(plan=plan, retried=True).exclude(pk=update.pk)
    if (
        update.card_fingerprint
        and earlier.filter(card_fingerprint=update.card_fingerprint).exists()
    ):
        return False
    return earlier.filter(created_at__gt=now - timedelta(days=1)).count() < card_retries_per_day()
