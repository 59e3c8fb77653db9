"""When the bank asks the customer to confirm an installment (card 4000 0025 0000 3155: the
stand-in asks for authentication on every off-session charge of it)."""

import re

import pytest
import time_machine
from django.core import mail
from oscar.core.loading import get_model

from shop import gateway
from shop.billing.access import plan_allows_download
from shop.billing.confirm_links import confirm_link_path
from shop.billing.models import ChargeStatus, PlanStatus, ScheduledCharge
from shop.downloads.models import DownloadGrant
from shop.gateway.testing import bank_check_for_tests, card_confirm_for_tests
from tests.shop.billing_helpers import (
    charged_without_recording,
    day,
    intents_of,
    succeeded_cents,
)
from tests.shop.test_billing_webhooks import post_event

PaymentEvent = get_model("order", "PaymentEvent")

CARD_AUTHENTICATION = "4000002500003155"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def long_sessions(settings):
    """Signed in today, the customer acts weeks later on the travelled clock."""
    settings.SESSION_COOKIE_AGE = 365 * 24 * 3600


@pytest.fixture
def waiting_plan(make_plan, run_at):
    """A plan whose first installment, charged on day 14, waits for the bank's check."""
    plan = make_plan(card_number=CARD_AUTHENTICATION)
    mail.outbox.clear()
    charge = plan.charges.get(sequence=1)
    assert run_at(14).charged == {charge.pk: "requires_action"}
    plan.refresh_from_db()
    charge.refresh_from_db()
    return plan, charge


def grant_open(plan, at) -> bool:
    plan.refresh_from_db()
    grant = DownloadGrant.objects.get(order=plan.order)
    return grant.is_active(at) and plan_allows_download(plan, at)


def link_in(message) -> str:
    return re.search(r"http://[^\s]+/shop/accounts/program/confirm/[^\s]+/", message.body).group(0)


def test_the_day_14_charge_waits_for_confirmation_with_access_kept_and_an_email(waiting_plan):
    plan, charge = waiting_plan
    assert plan.status == PlanStatus.CONFIRMATION_NEEDED
    assert plan.order.status == "Confirmation needed"
    assert charge.status == ChargeStatus.AWAITING_CONFIRMATION
    assert charge.payment_intent_id.startswith("pi_")
    # The same grace period as a failed payment: 7 days from the due date, reminded halfway.
    assert charge.confirm_by == day(21)
    assert charge.confirmation_reminder_at == day(17, 12)
    event = plan.events.get(kind="confirmation_needed")
    assert event.data["payment_intent"] == charge.payment_intent_id
    assert gateway.payment_intent_retrieve(charge.payment_intent_id).status == "requires_action"

    assert grant_open(plan, day(15)) and grant_open(plan, day(20, 23))
    assert not grant_open(plan, day(21))

    message = mail.outbox[-1]
    assert message.subject == "Please confirm your payment of $98.50"
    assert "Payment 1 of 2" in message.body and "Nothing has been taken yet." in message.body
    assert "Please confirm by December 15, 2026." in message.body
    assert link_in(message).endswith(confirm_link_path(charge))
    assert "/shop/accounts/program/" in message.body and "/card/" in message.body


def test_scheduler_runs_during_the_wait_make_no_new_payment_intent(waiting_plan, run_at):
    plan, charge = waiting_plan
    for n, hours in ((14, 1), (15, 0), (16, 6), (20, 0)):
        report = run_at(n, hours)
        assert report.charged == {} and report.suspended == []
    assert len(intents_of(plan)) == 1
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.AWAITING_CONFIRMATION and charge.attempts == 1
    # Nor does the author's "retry now", which is only for failed payments.
    from shop.billing.actions import installment_retry_now
    from shop.billing.services import PlanActionNotAllowed

    with pytest.raises(PlanActionNotAllowed):
        installment_retry_now(charge_id=charge.pk)
    assert len(intents_of(plan)) == 1


def test_the_customer_confirms_on_the_page_and_the_plan_moves_on_once(
    waiting_plan, client, run_at, django_capture_on_commit_callbacks
):
    plan, charge = waiting_plan
    client.force_login(plan.user)
    path = confirm_link_path(charge)
    with time_machine.travel(day(15), tick=False):
        page = client.get(path)
        assert page.status_code == 200
        html = page.content.decode()
        assert "Confirm your payment of $98.50" in html
        assert f'data-client-secret="{charge.payment_intent_id}_secret_' in html
        assert 'id="use-another-card"' in html
        # The customer presses "Complete authentication" in the bank's box (Stripe.js).
        assert bank_check_for_tests(payment_intent_id=charge.payment_intent_id, success=True) == 200
        with django_capture_on_commit_callbacks(execute=True):
            done = client.post(path)
        assert done.status_code == 302 and done.url == "/shop/accounts/program/"
        # A reload of the page (or the link from the email again) changes nothing.
        again = client.post(path)
        assert again.status_code == 409
        assert "has already been made" in again.content.decode()

    plan.refresh_from_db()
    charge.refresh_from_db()
    assert plan.status == PlanStatus.INSTALLMENT_PAID
    assert plan.order.status == "Payments under way"
    assert charge.status == ChargeStatus.PAID and charge.attempts == 1
    assert succeeded_cents(plan) == 9850 and len(intents_of(plan)) == 1
    assert PaymentEvent.objects.filter(order=plan.order, reference=charge.payment_intent_id)
    assert "Receipt: payment 1 of 2" in mail.outbox[-1].subject

    # Stripe's webhook about the same PaymentIntent, delivered then replayed: nothing new.
    obj = {
        "id": charge.payment_intent_id,
        "object": "payment_intent",
        "metadata": {"charge_id": str(charge.pk), "plan_id": str(plan.pk), "attempt": "1"},
    }
    first = post_event(client, "payment_intent.succeeded", obj, event_id="evt_confirmed_1")
    assert first.content == b"succeeded: already recorded"
    replay = post_event(client, "payment_intent.succeeded", obj, event_id="evt_confirmed_1")
    assert replay.content == b"duplicate"
    assert plan.events.filter(kind="charge_succeeded").count() == 1
    assert PaymentEvent.objects.filter(order=plan.order).count() == 1
    assert run_at(20).charged == {} and run_at(21).suspended == []


def test_the_webhook_arriving_first_records_it_and_the_page_then_says_so(waiting_plan, client):
    plan, charge = waiting_plan
    client.force_login(plan.user)
    assert bank_check_for_tests(payment_intent_id=charge.payment_intent_id, success=True) == 200
    obj = {"id": charge.payment_intent_id, "object": "payment_intent", "metadata": {}}
    obj["metadata"] = {"charge_id": str(charge.pk), "plan_id": str(plan.pk), "attempt": "1"}
    assert post_event(client, "payment_intent.succeeded", obj).content == b"succeeded: recorded"
    with time_machine.travel(day(15), tick=False):
        page = client.post(confirm_link_path(charge))
    assert page.status_code == 409
    assert "Nothing to confirm: payment 1 has already been made" in page.content.decode()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.INSTALLMENT_PAID
    assert plan.events.filter(kind="charge_succeeded").count() == 1


def test_a_failed_check_then_another_card_pays_the_installment(waiting_plan, client):
    plan, charge = waiting_plan
    client.force_login(plan.user)
    path = confirm_link_path(charge)
    first_intent = charge.payment_intent_id
    with time_machine.travel(day(15), tick=False):
        assert bank_check_for_tests(payment_intent_id=first_intent, success=False) == 200
        page = client.post(path)
        assert page.status_code == 200
        html = page.content.decode()
        assert "Your bank did not confirm the payment" in html
        assert 'id="use-another-card"' in html
        charge.refresh_from_db()
        assert charge.status == ChargeStatus.AWAITING_CONFIRMATION
        assert plan.events.filter(kind="confirmation_failed").exists()

        # "Use another card": the update-card page, its SetupIntent, card 4242.
        card_page = client.get(f"/shop/accounts/program/{plan.pk}/card/")
        assert "waits for you to confirm it with your bank" in card_page.content.decode()
        setup_intent_id = re.search(
            r'data-client-secret="(seti_\w+?)_secret_', card_page.content.decode()
        ).group(1)
        card_confirm_for_tests(setup_intent_id=setup_intent_id, card_number="4242424242424242")
        saved = client.post(
            f"/shop/accounts/program/{plan.pk}/card/", {"setup_intent_id": setup_intent_id}
        )
        assert saved.status_code == 302

    plan.refresh_from_db()
    charge.refresh_from_db()
    assert plan.status == PlanStatus.INSTALLMENT_PAID and plan.card_last4 == "4242"
    assert charge.status == ChargeStatus.PAID and charge.payment_intent_id != first_intent
    assert gateway.payment_intent_retrieve(first_intent).failure_code == "canceled"
    assert succeeded_cents(plan) == 9850
    kinds = list(plan.events.values_list("kind", flat=True))
    assert kinds.index("confirmation_released") < kinds.index("charge_succeeded")


def test_no_confirmation_by_the_end_of_the_grace_period_suspends_the_plan(waiting_plan, run_at):
    plan, charge = waiting_plan
    assert run_at(17).confirmation_reminded == []
    assert run_at(17, 12).confirmation_reminded == [charge.pk]
    reminder = mail.outbox[-1]
    assert reminder.subject == "Reminder: confirm your payment of $98.50 by December 15, 2026"
    assert link_in(reminder).endswith(confirm_link_path(charge))
    assert run_at(18).confirmation_reminded == []  # once

    assert run_at(20, 23).suspended == []
    report = run_at(21)
    assert report.suspended == [plan.pk] and report.charged == {}
    plan.refresh_from_db()
    charge.refresh_from_db()
    assert plan.status == PlanStatus.PAYMENT_FAILED and plan.suspended_at == day(21)
    assert plan.order.status == "Payment failed"
    assert charge.status == ChargeStatus.FAILED and charge.next_attempt_at is None
    assert gateway.payment_intent_retrieve(charge.payment_intent_id).failure_code == "canceled"
    assert not grant_open(plan, day(21))
    assert "not confirmed with your bank by December 15, 2026" in mail.outbox[-1].body
    assert run_at(22).suspended == [] and run_at(50).charged == {}
    assert succeeded_cents(plan) == 0 and len(intents_of(plan)) == 1


def test_the_link_refuses_others_tampering_expiry_and_a_payment_no_longer_waiting(
    waiting_plan, client, django_user_model
):
    plan, charge = waiting_plan
    path = confirm_link_path(charge)

    anonymous = client.get(path)
    assert anonymous.status_code == 302 and "/login/" in anonymous.url

    other = django_user_model.objects.create_user("other", "other@example.com", "pass-phrase-2")
    client.force_login(other)
    refused = client.get(path)
    assert refused.status_code == 403
    assert "This link was sent to another account" in refused.content.decode()
    assert bank_secret_absent(refused, charge)

    client.force_login(plan.user)
    tampered = client.get(path[:-4] + "xyz/")
    assert tampered.status_code == 400
    assert "This link is not valid" in tampered.content.decode()

    with time_machine.travel(day(21, 1), tick=False):
        expired = client.get(path)
    assert expired.status_code == 410
    assert "This link has expired: the payment had to be confirmed by December 15, 2026" in (
        expired.content.decode()
    )
    assert bank_secret_absent(expired, charge)

    ScheduledCharge.objects.filter(pk=charge.pk).update(status=ChargeStatus.CANCELLED)
    with time_machine.travel(day(15), tick=False):
        gone = client.get(path)
    assert gone.status_code == 409
    assert "Nothing to confirm: payment 1 was cancelled" in gone.content.decode()


def bank_secret_absent(response, charge) -> bool:
    return charge.payment_intent_id not in response.content.decode()


def test_the_account_page_says_what_is_needed_and_by_when(waiting_plan, client):
    plan, charge = waiting_plan
    client.force_login(plan.user)
    with time_machine.travel(day(15), tick=False):
        page = client.get("/shop/accounts/program/").content.decode()
    assert "Status: <strong>Confirmation needed</strong>" in page
    assert "Your bank asks you to confirm payment 1 of 2 ($98.50)" in page
    assert "December 15, 2026" in page
    assert confirm_link_path(charge) in page
    assert "Cancel remaining payments" in page


def test_cancelling_the_remaining_payments_cancels_the_waiting_payment(waiting_plan, client):
    plan, charge = waiting_plan
    client.force_login(plan.user)
    with time_machine.travel(day(15), tick=False):
        response = client.post(f"/shop/accounts/program/{plan.pk}/cancel/")
    assert response.status_code == 302
    plan.refresh_from_db()
    charge.refresh_from_db()
    assert plan.status == PlanStatus.CANCELLED and plan.access_ends_at == day(15)
    assert charge.status == ChargeStatus.CANCELLED
    assert gateway.payment_intent_retrieve(charge.payment_intent_id).failure_code == "canceled"
    # The bank's check can no longer take the money.
    assert bank_check_for_tests(payment_intent_id=charge.payment_intent_id, success=True) == 400
    assert succeeded_cents(plan) == 0


def test_a_full_refund_while_the_second_payment_waits_cancels_it(
    waiting_plan, client, run_at, admin_user, django_capture_on_commit_callbacks
):
    plan, first = waiting_plan
    bank_check_for_tests(payment_intent_id=first.payment_intent_id, success=True)
    client.force_login(plan.user)
    with time_machine.travel(day(15), tick=False):
        client.post(confirm_link_path(first))
    second = plan.charges.get(sequence=2)
    assert run_at(42).charged == {second.pk: "requires_action"}
    second.refresh_from_db()
    assert second.status == ChargeStatus.AWAITING_CONFIRMATION

    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/cms/programs/refund/{first.pk}/",
            {"confirm": "yes", "amount": "98.50"},
        )
    assert response.status_code == 302
    plan.refresh_from_db()
    second.refresh_from_db()
    assert plan.status == PlanStatus.REFUNDED and second.status == ChargeStatus.CANCELLED
    assert gateway.payment_intent_retrieve(second.payment_intent_id).failure_code == "canceled"
    assert succeeded_cents(plan) == 9850  # refunded at Stripe, never a second payment
    refund_email = mail.outbox[-1]
    assert refund_email.subject == f"Refund of $98.50 for order {plan.order.number}"
    assert "nothing more will be charged" in refund_email.body


def test_the_author_sees_the_state_and_sends_the_email_again(
    waiting_plan, client, admin_user, django_capture_on_commit_callbacks
):
    plan, charge = waiting_plan
    client.force_login(admin_user)
    with time_machine.travel(day(15), tick=False):
        detail = client.get(f"/cms/programs/{plan.pk}/").content.decode()
        assert "Confirmation needed" in detail and "Awaiting confirmation" in detail
        assert "customer can confirm until" in detail
        assert charge.payment_intent_id in detail
        resend = f"/cms/programs/resend/{charge.pk}/"
        assert resend in detail
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(resend, {"confirm": "yes"})
    assert response.status_code == 302
    assert plan.events.filter(kind="confirmation_email_resent", actor=admin_user).exists()
    assert [m.subject for m in mail.outbox] == ["Please confirm your payment of $98.50"]
    assert link_in(mail.outbox[0]).endswith(confirm_link_path(charge))


def test_the_customer_pays_when_the_webhook_and_the_page_race(waiting_plan, client):
    """Whichever road records the success first, the second changes nothing."""
    from shop.billing.charging import charge_outcome_record

    plan, charge = waiting_plan
    bank_check_for_tests(payment_intent_id=charge.payment_intent_id, success=True)
    result = gateway.payment_intent_retrieve(charge.payment_intent_id)
    assert charge_outcome_record(charge_id=charge.pk, result=result, actor_label="customer")
    assert not charge_outcome_record(charge_id=charge.pk, result=result, actor_label="stripe")
    assert plan.events.filter(kind="charge_succeeded").count() == 1


def test_the_api_tells_another_front_end_where_and_until_when_to_confirm(waiting_plan, client):
    plan, charge = waiting_plan
    client.force_login(plan.user)
    with time_machine.travel(day(15), tick=False):
        (item,) = client.get("/api/account/plans/").json()["items"]
    assert item["status"] == "confirmation_needed"
    assert item["status_display"] == "Confirmation needed"
    first, second = item["charges"]
    assert first["status"] == "awaiting_confirmation"
    assert first["confirm_by"].startswith("2026-12-15")
    assert first["confirm_url"].endswith(confirm_link_path(charge))
    assert (second["confirm_by"], second["confirm_url"]) == (None, None)


def test_a_lost_answer_that_needed_confirmation_is_reconciled_to_waiting(make_plan, run_at):
    plan = make_plan(card_number=CARD_AUTHENTICATION)
    # The run claimed the installment and Stripe answered, but the answer never arrived.
    charge, lost_intent = charged_without_recording(plan)
    assert gateway.payment_intent_retrieve(lost_intent).status == "requires_action"
    mail.outbox.clear()
    report = run_at(14, 0.5)
    assert report.reconciled == [charge.pk] and report.charged == {}
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.AWAITING_CONFIRMATION
    assert charge.payment_intent_id == lost_intent
    assert [m.subject for m in mail.outbox] == ["Please confirm your payment of $98.50"]
    assert run_at(15).charged == {} and len(intents_of(plan)) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_page_and_the_webhook_at_the_same_moment_record_one_payment(make_plan):
    import threading

    from django.db import connection

    from shop.billing.charging import charge_installment
    from shop.billing.confirmation import confirmation_result_record
    from shop.billing.webhooks import payment_intent_changed

    plan = make_plan(card_number=CARD_AUTHENTICATION)
    charge = plan.charges.get(sequence=1)
    assert charge_installment(charge_id=charge.pk, now=day(14)).outcome == "requires_action"
    charge.refresh_from_db()
    assert bank_check_for_tests(payment_intent_id=charge.payment_intent_id, success=True) == 200
    event = gateway.WebhookEvent(
        id="evt_race",
        type="payment_intent.succeeded",
        created=day(15),
        livemode=False,
        object={
            "id": charge.payment_intent_id,
            "metadata": {"charge_id": str(charge.pk), "plan_id": str(plan.pk), "attempt": "1"},
        },
    )
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def road(record):
        try:
            barrier.wait(timeout=10)
            outcomes.append(record())
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    roads = [
        threading.Thread(target=road, args=(lambda: confirmation_result_record(charge=charge),)),
        threading.Thread(target=road, args=(lambda: payment_intent_changed(event),)),
    ]
    for thread in roads:
        thread.start()
    for thread in roads:
        thread.join(timeout=60)
    assert errors == []
    assert "paid" in outcomes
    assert [o for o in outcomes if o != "paid"][0].startswith("succeeded: ")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.INSTALLMENT_PAID
    assert plan.events.filter(kind="charge_succeeded").count() == 1
    assert PaymentEvent.objects.filter(order=plan.order).count() == 1
    assert str(plan.order.sources.get().amount_debited) == "98.50"
