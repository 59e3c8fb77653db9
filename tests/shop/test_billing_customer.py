"""The customer's side after the tryout: update the card (a failed payment is retried at
once) and cancel the remaining payments."""

from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from shop.billing.models import ChargeStatus, PlanStatus
from shop.billing.scheduler import billing_run
from shop.billing.views import CARD_SETUP_SESSION_KEY
from shop.downloads.models import DownloadGrant
from shop.gateway.testing import card_confirm_for_tests
from tests.shop.billing_helpers import day, intents_of, succeeded_cents

pytestmark = pytest.mark.django_db


def update_card(client, plan, number: str):
    """What the Update card page and Stripe.js do together (logged in at that time)."""
    client.force_login(plan.user)
    page = client.get(f"/shop/accounts/program/{plan.pk}/card/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/js.stripe.com/v3/" in html[: html.index("</head>")]
    assert 'data-client-secret="seti_' in html
    intent_id = client.session[CARD_SETUP_SESSION_KEY][str(plan.pk)]
    card_confirm_for_tests(setup_intent_id=intent_id, card_number=number)
    return client.post(
        f"/shop/accounts/program/{plan.pk}/card/", {"setup_intent_id": intent_id}, follow=True
    )


def test_a_declined_second_installment_is_retried_then_recovered_with_a_new_card(
    client, make_plan, django_capture_on_commit_callbacks
):
    plan = make_plan()
    client.force_login(plan.user)
    first, second = plan.charges.order_by("sequence")

    def run(n):
        with (
            time_machine.travel(day(n), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return billing_run(now=day(n))

    assert run(14).charged == {first.pk: "succeeded"}
    with time_machine.travel(day(20), tick=False):
        saved = update_card(client, plan, "4000000000000341")
    assert "Your new card is saved for the next payments." in saved.content.decode()
    plan.refresh_from_db()
    assert plan.card_last4 == "0341"

    mail.outbox.clear()
    assert run(42).charged == {second.pk: "failed"}
    failed_mail = mail.outbox[-1]
    assert f"/shop/accounts/program/{plan.pk}/card/" in failed_mail.body
    assert run(43).charged == {second.pk: "failed"}
    second.refresh_from_db()
    assert second.attempts == 2 and second.next_attempt_at == day(45)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PAYMENT_FAILED

    with time_machine.travel(day(44), tick=False):
        client.force_login(plan.user)
        program = client.get("/shop/accounts/program/").content.decode()
        assert "A payment did not go through" in program
        with django_capture_on_commit_callbacks(execute=True):
            done = update_card(client, plan, "4242424242424242")
    assert "Your new card is saved and the payment went through." in done.content.decode()
    plan.refresh_from_db()
    second.refresh_from_db()
    assert second.status == ChargeStatus.PAID and second.attempts == 3
    assert plan.status == PlanStatus.PAID_IN_FULL and plan.card_last4 == "4242"
    assert plan.order.sources.get().amount_debited == Decimal("197.00")
    assert plan.events.filter(kind="card_updated").count() == 2
    assert run(45).charged == {}
    assert succeeded_cents(plan) == 19700
    assert [i.status for i in intents_of(plan)].count("succeeded") == 2


def test_cancel_remaining_payments_after_the_tryout_keeps_access_until_the_next_date(
    client, make_plan, django_capture_on_commit_callbacks
):
    plan = make_plan()
    client.force_login(plan.user)
    billing_run(now=day(14))
    with time_machine.travel(day(20), tick=False):
        client.force_login(plan.user)
        page = client.get("/shop/accounts/program/").content.decode()
        assert "Cancel remaining payments" in page
        assert "your download stays open until" in page and "January 5, 2027" in page
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/shop/accounts/program/{plan.pk}/cancel/", follow=True)
    assert "You can keep downloading until January 5, 2027." in response.content.decode()
    (email,) = mail.outbox
    assert email.subject.startswith("Your remaining payments for")
    assert "until January 5, 2027" in email.body
    assert "/shop/accounts/program/" in email.body
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CANCELLED and plan.order.status == "Cancelled"
    assert billing_run(now=day(42)).charged == {}
    grant = DownloadGrant.objects.get(order=plan.order)
    assert grant.is_active(day(41)) and not grant.is_active(day(42))
    assert succeeded_cents(plan) == 9850


def test_a_card_from_another_customer_or_unconfirmed_is_refused(client, make_plan):
    plan = make_plan()
    client.force_login(plan.user)
    client.get(f"/shop/accounts/program/{plan.pk}/card/")
    intent_id = client.session[CARD_SETUP_SESSION_KEY][str(plan.pk)]
    response = client.post(
        f"/shop/accounts/program/{plan.pk}/card/", {"setup_intent_id": intent_id}
    )
    assert response.status_code == 400
    assert "Your card could not be saved" in response.content.decode()
    other = client.post(f"/shop/accounts/program/{plan.pk}/card/", {"setup_intent_id": "seti_x"})
    assert other.status_code == 400
