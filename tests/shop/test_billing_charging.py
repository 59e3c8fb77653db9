"""Charging one installment against the Stripe stand-in: once, recorded, reconciled."""

from decimal import Decimal

import pytest
from django.core import mail
from oscar.core.loading import get_model

from shop.billing.charging import charge_installment, reconcile_charge
from shop.billing.models import ChargeStatus, PlanStatus, ScheduledCharge
from shop.billing.services import plan_trial_quit
from tests.shop.billing_helpers import (
    charged_without_recording,
    day,
    intents_of,
    succeeded_cents,
)
from tests.support.processes import free_port

PaymentEvent = get_model("order", "PaymentEvent")

pytestmark = pytest.mark.django_db


def first_charge(plan) -> ScheduledCharge:
    return plan.charges.get(sequence=1)


def test_a_due_installment_is_charged_once_and_recorded(
    make_plan, django_capture_on_commit_callbacks
):
    plan = make_plan()
    charge = first_charge(plan)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        attempt = charge_installment(charge_id=charge.pk, now=day(14))
    assert attempt.outcome == "succeeded"

    charge.refresh_from_db()
    plan.refresh_from_db()
    assert charge.status == ChargeStatus.PAID and charge.attempts == 1
    assert charge.paid_at == day(14) and charge.payment_intent_id.startswith("pi_")
    assert plan.status == PlanStatus.INSTALLMENT_PAID
    assert plan.order.status == "Payments under way"
    assert plan.order.sources.get().amount_debited == Decimal("98.50")
    event = PaymentEvent.objects.get(order=plan.order, event_type__name="Installment 1 paid")
    assert event.amount == Decimal("98.50") and event.reference == charge.payment_intent_id
    assert [e.kind for e in plan.events.all()][-2:] == ["charge_attempted", "charge_succeeded"]
    assert "Receipt: payment 1 of 2, $98.50" in mail.outbox[-1].subject

    # Again, at once or later: nothing more is charged.
    assert charge_installment(charge_id=charge.pk, now=day(15)).outcome == "skipped"
    assert succeeded_cents(plan) == 9850
    intent = intents_of(plan)[0]
    assert intent.metadata == {"charge_id": str(charge.pk), "plan_id": str(plan.pk), "attempt": "1"}


def test_nothing_is_charged_before_the_due_date_or_out_of_order(make_plan):
    plan = make_plan()
    assert charge_installment(charge_id=first_charge(plan).pk, now=day(13)).reason == (
        "not due yet"
    )
    second = plan.charges.get(sequence=2)
    result = charge_installment(charge_id=second.pk, now=day(43))
    assert result.reason == "an earlier installment is unpaid"
    assert intents_of(plan) == []


def test_a_quit_plan_is_never_charged(make_plan):
    plan = make_plan()
    plan_trial_quit(plan_id=plan.pk, actor=plan.user)
    for charge in plan.charges.all():
        charge.status = ChargeStatus.SCHEDULED  # even if a charge were left scheduled by mistake
        charge.save()
        assert charge_installment(charge_id=charge.pk, now=day(50)).outcome == "skipped"
    assert intents_of(plan) == []


def test_a_declined_installment_is_failed_with_a_retry_time(
    make_plan, django_capture_on_commit_callbacks
):
    plan = make_plan(card_number="4000000000000341")
    charge = first_charge(plan)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert charge_installment(charge_id=charge.pk, now=day(14)).outcome == "failed"
    charge.refresh_from_db()
    plan.refresh_from_db()
    assert charge.status == ChargeStatus.FAILED and charge.failure_code == "card_declined"
    assert charge.next_attempt_at == day(15)
    assert plan.status == PlanStatus.PAYMENT_FAILED
    assert plan.order.status == "Payment failed"
    assert plan.order.sources.get().amount_debited == Decimal("0")
    body = mail.outbox[-1].body
    assert "did not go through" in mail.outbox[-1].subject
    assert "/shop/accounts/program/" in body

    # The retry is not due yet; then it is.
    assert charge_installment(charge_id=charge.pk, now=day(14, 12)).reason == "no retry due"
    assert charge_installment(charge_id=charge.pk, now=day(15, 1)).outcome == "failed"
    charge.refresh_from_db()
    assert charge.attempts == 2 and charge.next_attempt_at == day(17)


def test_a_crash_between_attempted_and_recorded_is_reconciled_without_a_second_charge(
    make_plan,
):
    plan = make_plan()
    # What charge_installment does before it dies: claimed, then charged at Stripe...
    charge, _ = charged_without_recording(plan)
    # ...and nothing recorded. Another run cannot charge it meanwhile:
    assert charge_installment(charge_id=charge.pk, now=day(14, 1)).outcome == "skipped"

    assert reconcile_charge(charge, now=day(14, 1)) == "paid"
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.PAID and charge.attempts == 1
    assert plan.order.sources.get().amount_debited == Decimal("98.50")
    assert reconcile_charge(charge, now=day(14, 2)) == "not processing (paid)"
    assert succeeded_cents(plan) == 9850 and len(intents_of(plan)) == 1


def test_an_unknown_outcome_stays_processing_then_is_retried(make_plan, settings):
    plan = make_plan()
    charge = first_charge(plan)
    standin = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
    assert charge_installment(charge_id=charge.pk, now=day(14)).outcome == "unknown"
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.PROCESSING

    settings.STRIPE_API_BASE = standin
    assert reconcile_charge(charge, now=day(14, 1)) == "not charged"
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.SCHEDULED
    assert charge_installment(charge_id=charge.pk, now=day(14, 1)).outcome == "succeeded"
    assert succeeded_cents(plan) == 9850
