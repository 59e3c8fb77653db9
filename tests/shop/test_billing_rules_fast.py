"""The billing rules on the in-process fake gateway (tests/support/fake_gateway.py): a plan's
life from tryout to paid in full, quitting, declines and retries, suspension, refunds,
cancelling, the bank's check, a payment left processing and replayed webhooks, in
milliseconds each. The same rules against the Stripe stand-in are in test_billing_*.py."""

from decimal import Decimal

import pytest
from django.core import mail

from shop import gateway
from shop.billing.access import plan_allows_download
from shop.billing.actions import installment_retry_now, plan_card_update, plan_payments_cancel
from shop.billing.charging import charge_installment, reconcile_charge
from shop.billing.confirmation import confirmation_result_record
from shop.billing.invariants import plan_invariants_problems
from shop.billing.models import (
    ChargeStatus,
    InstallmentPlan,
    PlanStatus,
    StripeEvent,
)
from shop.billing.refunds import installment_refund
from shop.billing.services import PlanActionNotAllowed, plan_trial_quit
from shop.downloads.models import DownloadGrant
from tests.shop.billing_helpers import day, intents_of, signed_event_post, succeeded_cents
from tests.support.fake_gateway import (
    CARD_AUTHENTICATION,
    CARD_DECLINED_WHEN_CHARGED,
    CARD_DECLINED_WHEN_SAVED,
    CARD_OK,
    CARD_PROCESSING,
)

pytestmark = pytest.mark.django_db


def grant_open(plan, n: float) -> bool:
    grant = DownloadGrant.objects.get(order=plan.order)
    return grant.is_active(day(n)) and plan_allows_download(plan, day(n))


def assert_invariants(plan) -> None:
    assert plan_invariants_problems(plan) == []


def test_a_plan_from_tryout_through_installment_1_to_paid_in_full(make_fake_plan, run_at):
    plan = make_fake_plan()
    first, second = plan.charges.order_by("sequence")
    mail.outbox.clear()

    assert run_at(7).reminded == [first.pk]
    assert "Your free tryout ends on December 8" in mail.outbox[-1].subject
    assert run_at(13).charged == {}

    assert run_at(14).charged == {first.pk: "succeeded"}
    plan.refresh_from_db()
    assert plan.status == PlanStatus.INSTALLMENT_PAID
    assert plan.order.status == "Payments under way"
    assert "Receipt: payment 1 of 2" in mail.outbox[-1].subject
    assert_invariants(plan)

    assert run_at(41).charged == {}
    assert run_at(42).charged == {second.pk: "succeeded"}
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PAID_IN_FULL and plan.order.status == "Paid in full"
    assert plan.order.sources.get().amount_debited == Decimal("197.00")
    assert "Paid in full" in mail.outbox[-1].subject

    assert run_at(70).charged == {}
    assert succeeded_cents(plan) == 19700 and len(intents_of(plan)) == 2
    assert grant_open(plan, 400)
    assert_invariants(plan)


def test_quitting_during_the_tryout_charges_nothing_and_ends_access_at_its_end(
    make_fake_plan, run_at, fake_gateway
):
    plan = make_fake_plan()
    plan, changed = plan_trial_quit(plan_id=plan.pk, actor=plan.user)
    assert changed and plan.status == PlanStatus.TRIAL_QUIT
    assert plan_trial_quit(plan_id=plan.pk, actor=plan.user)[1] is False

    for n in (7, 14, 42, 70):
        report = run_at(n)
        assert report.charged == {} and report.reminded == []
    assert intents_of(plan) == []
    assert not [name for name, _ in fake_gateway.calls if name == "charge_off_session"]
    assert grant_open(plan, 13) and not grant_open(plan, 14)
    assert_invariants(plan)


def test_a_declined_installment_is_retried_then_the_plan_is_suspended(make_fake_plan, run_at):
    plan = make_fake_plan(card_number=CARD_DECLINED_WHEN_CHARGED)
    charge = plan.charges.get(sequence=1)
    mail.outbox.clear()

    assert run_at(14).charged == {charge.pk: "failed"}
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.FAILED and charge.failure_code == "card_declined"
    assert charge.next_attempt_at == day(15)
    assert "did not go through" in mail.outbox[-1].subject
    assert run_at(14, 12).charged == {}
    assert run_at(15).charged == {charge.pk: "failed"}
    assert run_at(17).charged == {charge.pk: "failed"}
    assert run_at(20).charged == {charge.pk: "failed"}
    charge.refresh_from_db()
    assert charge.attempts == 4 and charge.next_attempt_at is None
    assert grant_open(plan, 20)

    report = run_at(21)
    assert report.charged == {} and report.suspended == [plan.pk]
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PAYMENT_FAILED and plan.suspended_at == day(21)
    assert not grant_open(plan, 21)
    assert run_at(50).charged == {}
    assert succeeded_cents(plan) == 0 and len(intents_of(plan)) == 4
    assert_invariants(plan)


def test_a_new_card_after_a_decline_pays_the_failed_installment(
    make_fake_plan, fake_gateway, run_at
):
    plan = make_fake_plan(card_number=CARD_DECLINED_WHEN_CHARGED)
    charge = plan.charges.get(sequence=1)
    assert run_at(14).charged == {charge.pk: "failed"}

    intent = gateway.setup_intent_create(
        customer_id=plan.stripe_customer_id, metadata={"plan_id": str(plan.pk)}
    )
    fake_gateway.card_confirm_for_tests(setup_intent_id=intent.id, card_number=CARD_OK)
    attempts = plan_card_update(plan_id=plan.pk, setup_intent_id=intent.id, now=day(14, 2))
    assert [a.outcome for a in attempts] == ["succeeded"]
    charge.refresh_from_db()
    plan.refresh_from_db()
    assert charge.status == ChargeStatus.PAID and charge.attempts == 2
    assert plan.status == PlanStatus.INSTALLMENT_PAID and plan.card_last4 == "4242"
    assert_invariants(plan)


def test_retry_now_charges_a_failed_installment_at_once_and_only_a_failed_one(
    make_fake_plan, run_at
):
    plan = make_fake_plan(card_number=CARD_DECLINED_WHEN_CHARGED)
    charge = plan.charges.get(sequence=1)
    run_at(14)
    assert installment_retry_now(charge_id=charge.pk, now=day(14, 1)).outcome == "failed"
    charge.refresh_from_db()
    assert charge.attempts == 2
    second = plan.charges.get(sequence=2)
    with pytest.raises(PlanActionNotAllowed):
        installment_retry_now(charge_id=second.pk, now=day(14, 1))


def test_a_card_that_is_declined_when_saved_never_makes_a_plan(
    fake_gateway, billing_program, billing_reader
):
    from tests.shop.factories import plan_for_tests

    with pytest.raises(gateway.CardNotUsable) as refused:
        plan_for_tests(
            user=billing_reader,
            product=billing_program,
            start=day(0),
            card_number=CARD_DECLINED_WHEN_SAVED,
        )
    assert refused.value.user_message == "Your card was declined. Please try another card."
    assert not InstallmentPlan.objects.exists()


def test_a_refund_in_part_then_the_rest_refunds_the_plan_and_ends_the_download(
    make_fake_plan, run_at
):
    plan = make_fake_plan()
    first = plan.charges.get(sequence=1)
    run_at(14)

    assert installment_refund(charge_id=first.pk, amount_cents=1000) == 1000
    first.refresh_from_db()
    plan.refresh_from_db()
    assert first.status == ChargeStatus.PAID and first.refunded_cents == 1000
    assert plan.status == PlanStatus.INSTALLMENT_PAID
    assert_invariants(plan)

    with pytest.raises(PlanActionNotAllowed):
        installment_refund(charge_id=first.pk, amount_cents=9000)
    assert installment_refund(charge_id=first.pk) == 8850
    first.refresh_from_db()
    plan.refresh_from_db()
    assert first.status == ChargeStatus.REFUNDED and first.refunded_cents == 9850
    assert plan.status == PlanStatus.REFUNDED and plan.order.status == "Refunded"
    assert plan.charges.get(sequence=2).status == ChargeStatus.CANCELLED
    assert plan.order.sources.get().amount_refunded == Decimal("98.50")
    assert not DownloadGrant.objects.get(order=plan.order).is_active()
    assert run_at(42).charged == {}
    assert_invariants(plan)


def test_cancelling_the_remaining_payments_stops_every_later_charge(make_fake_plan, run_at):
    plan = make_fake_plan()
    with pytest.raises(PlanActionNotAllowed):
        plan_payments_cancel(plan_id=plan.pk, now=day(3))  # during the tryout: quit instead
    run_at(14)

    plan, changed = plan_payments_cancel(plan_id=plan.pk, now=day(20))
    assert changed and plan.status == PlanStatus.CANCELLED and plan.order.status == "Cancelled"
    assert plan_payments_cancel(plan_id=plan.pk, now=day(21))[1] is False
    assert plan.charges.get(sequence=2).status == ChargeStatus.CANCELLED
    assert run_at(42).charged == {} and run_at(70).charged == {}
    assert succeeded_cents(plan) == 9850
    assert_invariants(plan)


def test_a_payment_waiting_for_the_bank_is_paid_once_the_customer_passes_the_check(
    make_fake_plan, fake_gateway, run_at
):
    plan = make_fake_plan(card_number=CARD_AUTHENTICATION)
    charge = plan.charges.get(sequence=1)
    assert run_at(14).charged == {charge.pk: "requires_action"}
    charge.refresh_from_db()
    plan.refresh_from_db()
    assert charge.status == ChargeStatus.AWAITING_CONFIRMATION
    assert plan.status == PlanStatus.CONFIRMATION_NEEDED
    assert grant_open(plan, 15)
    assert run_at(15).charged == {}  # no second PaymentIntent while it waits

    assert (
        fake_gateway.bank_check_for_tests(payment_intent_id=charge.payment_intent_id, success=True)
        == 200
    )
    confirmation_result_record(charge=charge)
    charge.refresh_from_db()
    plan.refresh_from_db()
    assert charge.status == ChargeStatus.PAID and plan.status == PlanStatus.INSTALLMENT_PAID
    assert len(intents_of(plan)) == 1
    assert_invariants(plan)


def test_a_payment_left_processing_is_recorded_when_it_settles(
    make_fake_plan, fake_gateway, run_at
):
    plan = make_fake_plan(card_number=CARD_PROCESSING)
    charge = plan.charges.get(sequence=1)
    assert run_at(14).charged == {charge.pk: "processing"}
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.PROCESSING

    # The run keeps no PaymentIntent for an undecided charge: the reconcile finds it.
    (intent,) = intents_of(plan)
    assert intent.status == "processing"
    fake_gateway.settle(intent.payment_intent_id)
    assert reconcile_charge(charge, now=day(15)) == "paid"
    charge.refresh_from_db()
    assert (
        charge.status == ChargeStatus.PAID and charge.payment_intent_id == intent.payment_intent_id
    )
    assert_invariants(plan)


def test_stripe_out_of_reach_leaves_the_outcome_unknown_until_a_reconcile(
    make_fake_plan, fake_gateway
):
    plan = make_fake_plan()
    charge = plan.charges.get(sequence=1)
    fake_gateway.unavailable = True
    assert charge_installment(charge_id=charge.pk, now=day(14)).outcome == "unknown"
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.PROCESSING

    fake_gateway.unavailable = False
    assert reconcile_charge(charge, now=day(14, 1)) == "not charged"
    assert charge_installment(charge_id=charge.pk, now=day(14, 1)).outcome == "succeeded"
    assert succeeded_cents(plan) == 9850
    assert_invariants(plan)


def test_a_replayed_webhook_records_the_payment_once(make_fake_plan, fake_gateway, client, run_at):
    plan = make_fake_plan()
    charge = plan.charges.get(sequence=1)
    run_at(14)
    charge.refresh_from_db()
    obj = fake_gateway.payment_intent_object(charge.payment_intent_id)

    first = signed_event_post(client, "payment_intent.succeeded", obj, event_id="evt_fast_1")
    assert first.status_code == 200 and first.content == b"succeeded: already recorded"
    replay = signed_event_post(client, "payment_intent.succeeded", obj, event_id="evt_fast_1")
    assert replay.content == b"duplicate"
    again = signed_event_post(client, "payment_intent.succeeded", obj)
    assert again.content == b"succeeded: already recorded"
    assert StripeEvent.objects.count() == 2
    plan.refresh_from_db()
    assert plan.order.sources.get().amount_debited == Decimal("98.50")
    assert_invariants(plan)


def test_a_refund_webhook_replayed_under_new_ids_refunds_once(
    make_fake_plan, fake_gateway, client, run_at
):
    plan = make_fake_plan()
    charge = plan.charges.get(sequence=1)
    run_at(14)
    charge.refresh_from_db()
    installment_refund(charge_id=charge.pk)
    refunded = fake_gateway.payment_intent_object(charge.payment_intent_id)["latest_charge"]

    for _ in range(3):
        response = signed_event_post(client, "charge.refunded", refunded)
        assert response.status_code == 200
    charge.refresh_from_db()
    assert charge.refunded_cents == 9850
    assert plan.order.sources.get().amount_refunded == Decimal("98.50")
    assert_invariants(plan)
