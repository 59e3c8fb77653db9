"""Update card: a confirmed card is saved once, and a failed payment is tried once per new
card and a few times a day at most, so the page cannot be used to test card after card."""

import pytest
import time_machine

from shop import gateway
from shop.billing.actions import plan_card_update
from shop.billing.models import CardUpdate, ChargeStatus, PlanStatus
from shop.gateway.testing import card_confirm_for_tests
from tests.shop.billing_helpers import day, intents_of

pytestmark = pytest.mark.django_db

DECLINED_WHEN_CHARGED = "4000000000000341"


def new_card(plan, number: str) -> str:
    intent = gateway.setup_intent_create(
        customer_id=plan.stripe_customer_id, metadata={"plan_id": str(plan.pk)}
    )
    card_confirm_for_tests(setup_intent_id=intent.id, card_number=number)
    return intent.id


def failed_first_installment(make_plan, run_at):
    plan = make_plan(card_number=DECLINED_WHEN_CHARGED)
    run_at(14)
    first = plan.charges.get(sequence=1)
    assert first.status == ChargeStatus.FAILED
    return plan, first


def test_the_same_confirmed_card_posted_again_charges_nothing_again(
    client, make_plan, run_at, django_capture_on_commit_callbacks
):
    plan, first = failed_first_installment(make_plan, run_at)
    setup_intent = new_card(plan, DECLINED_WHEN_CHARGED)
    url = f"/shop/accounts/program/{plan.pk}/card/"
    client.force_login(plan.user)
    with time_machine.travel(day(15), tick=False):
        for _ in range(3):
            with django_capture_on_commit_callbacks(execute=True):
                client.post(url, {"setup_intent_id": setup_intent})
    attempts = [i for i in intents_of(plan) if i.metadata.get("charge_id") == str(first.pk)]
    # the billing run's attempt, and one with the new card: not one per post
    assert len(attempts) == 2
    assert CardUpdate.objects.filter(plan=plan).count() == 1
    first.refresh_from_db()
    assert first.attempts == 2


def test_a_failed_payment_is_tried_once_per_card_and_a_few_times_a_day(
    make_plan, run_at, settings, django_capture_on_commit_callbacks
):
    settings.BILLING_CARD_RETRIES_PER_DAY = 1
    plan, first = failed_first_installment(make_plan, run_at)
    outcomes = []
    with time_machine.travel(day(15), tick=False):
        # a declined card, then the same card number again through a new SetupIntent,
        # then a good card over the day's limit: only the first is charged
        for number in (DECLINED_WHEN_CHARGED, DECLINED_WHEN_CHARGED, "4242424242424242"):
            outcomes += plan_card_update(plan_id=plan.pk, setup_intent_id=new_card(plan, number))
    assert [o.outcome for o in outcomes] == ["failed", "skipped", "skipped"]
    assert plan.events.filter(kind="card_retry_refused").count() == 2
    first.refresh_from_db()
    assert first.attempts == 2 and first.status == ChargeStatus.FAILED
    plan.refresh_from_db()
    assert plan.card_last4 == "4242"  # saved all the same, for the scheduled retries

    # the next day, the good card is tried
    with (
        time_machine.travel(day(16, 1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        (attempt,) = plan_card_update(
            plan_id=plan.pk, setup_intent_id=new_card(plan, "4242424242424242")
        )
    assert attempt.outcome == "succeeded"
    plan.refresh_from_db()
    assert plan.status == PlanStatus.INSTALLMENT_PAID
