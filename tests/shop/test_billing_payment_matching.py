"""A payment is recorded on the one installment it was made for, as Stripe tells it: the
webhook's body never chooses the installment, and a PaymentIntent pays at most one."""

import pytest
from django.db import IntegrityError, transaction

from shop import gateway
from shop.billing.models import ChargeStatus, PlanStatus, ScheduledCharge
from tests.shop.billing_helpers import (
    charge_at_standin,
    charged_without_recording,
    intents_of,
    signed_event_post,
)

pytestmark = pytest.mark.django_db


def test_a_webhook_naming_another_installment_does_not_pay_it(client, make_plan, run_at):
    plan = make_plan()
    first, second = plan.charges.order_by("sequence")
    run_at(14)
    first.refresh_from_db()
    assert first.status == ChargeStatus.PAID
    # installment 1's real payment, in a signed body that names installment 2
    obj = {
        "id": first.payment_intent_id,
        "object": "payment_intent",
        "metadata": {"charge_id": str(second.pk), "plan_id": str(plan.pk)},
    }
    assert signed_event_post(client, "payment_intent.succeeded", obj).status_code == 200
    second.refresh_from_db()
    assert second.status == ChargeStatus.SCHEDULED
    assert second.payment_intent_id == ""
    plan.refresh_from_db()
    assert plan.status == PlanStatus.INSTALLMENT_PAID
    assert [i.payment_intent_id for i in intents_of(plan) if i.status == "succeeded"] == [
        first.payment_intent_id
    ]


def test_a_payment_of_another_amount_or_customer_does_not_pay_an_installment(
    client, make_plan, django_user_model
):
    plan = make_plan()
    first = plan.charges.get(sequence=1)
    ScheduledCharge.objects.filter(pk=first.pk).update(
        status=ChargeStatus.PROCESSING, attempts=1, processing_started_at=plan.trial_ends_at
    )
    metadata = {"charge_id": str(first.pk), "plan_id": str(plan.pk), "attempt": "1"}
    # one dollar instead of $98.50, charged to the plan's own card
    cheap = gateway.charge_off_session(
        customer_id=plan.stripe_customer_id,
        payment_method_id=plan.stripe_payment_method_id,
        amount_cents=100,
        currency="usd",
        metadata=metadata,
        idempotency_key="cheap",
    )
    assert cheap.status == "succeeded"
    obj = {"id": cheap.payment_intent_id, "object": "payment_intent", "metadata": metadata}
    assert signed_event_post(client, "payment_intent.succeeded", obj).status_code == 200
    first.refresh_from_db()
    assert first.status == ChargeStatus.PROCESSING

    # the right amount, paid by somebody else's customer and card
    other = make_plan(
        user=django_user_model.objects.create_user("o", "o@example.com", "pw"),
        card_number="5555555555554444",
    )
    theirs = gateway.charge_off_session(
        customer_id=other.stripe_customer_id,
        payment_method_id=other.stripe_payment_method_id,
        amount_cents=first.amount_cents,
        currency="usd",
        metadata=metadata,
        idempotency_key="theirs",
    )
    obj = {"id": theirs.payment_intent_id, "object": "payment_intent", "metadata": metadata}
    assert signed_event_post(client, "payment_intent.succeeded", obj).status_code == 200
    first.refresh_from_db()
    assert first.status == ChargeStatus.PROCESSING

    # the real one is recorded
    charge, intent_id = first, charge_at_standin(plan, first).payment_intent_id
    obj = {"id": intent_id, "object": "payment_intent", "metadata": metadata}
    assert signed_event_post(client, "payment_intent.succeeded", obj).status_code == 200
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.PAID and charge.payment_intent_id == intent_id


def test_the_database_refuses_one_payment_intent_on_two_installments(make_plan):
    plan = make_plan()
    charge, intent_id = charged_without_recording(plan)
    ScheduledCharge.objects.filter(pk=charge.pk).update(payment_intent_id=intent_id)
    second = plan.charges.get(sequence=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        ScheduledCharge.objects.filter(pk=second.pk).update(payment_intent_id=intent_id)
    # no PaymentIntent yet is not a PaymentIntent: many installments may have none
    assert plan.charges.filter(payment_intent_id="").count() == 1
