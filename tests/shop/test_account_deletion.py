"""Deleting an account: plans stop for good, orders and consent stay without the person,
downloads end, every session ends, and one last email confirms it."""

import threading

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from oscar.core.loading import get_model

from shop import gateway
from shop.accounts.account_deletion import AccountDeletionRefused, account_delete
from shop.billing.models import ChargeStatus, PlanStatus, TrialConsent
from shop.downloads.models import DownloadGrant, DownloadLog, PlaybackPosition, ProgramFile
from tests.shop.billing_helpers import charged_without_recording, day, intents_of, succeeded_cents

Email = get_model("communication", "Email")
UserAddress = get_model("address", "UserAddress")
Order = get_model("order", "Order")
Country = get_model("address", "Country")

PASSWORD = "a-long-pass-phrase"
DELETE_URL = "/shop/accounts/delete/"
CARD_AUTHENTICATION = "4000002500003155"


@pytest.fixture(autouse=True)
def long_sessions(settings):
    """Signed in today, the customer acts days later on the travelled clock."""
    settings.SESSION_COOKIE_AGE = 365 * 24 * 3600


def traces_for(user, plan):
    DownloadLog.objects.create(
        user=user,
        product=plan.product,
        file_title="The book",
        ip_address="203.0.113.7",
        user_agent="Firefox",
    )
    Email.objects.create(user=user, email=user.email, subject="Welcome", body_text="Hello Robin")
    country, _ = Country.objects.get_or_create(
        iso_3166_1_a2="US", defaults={"name": "United States", "printable_name": "United States"}
    )
    UserAddress.objects.create(
        user=user, first_name="Robin", last_name="Reader", line1="1 Main St", country=country
    )
    session = ProgramFile.objects.create(product=plan.product, title="Session 1", file="p/s1.webm")
    PlaybackPosition.objects.create(user=user, program_file=session, seconds=42)


def delete_through_page(client, *, at, password=PASSWORD):
    with time_machine.travel(at, tick=False):
        return client.post(DELETE_URL, {"password": password})


@pytest.mark.django_db
def test_deleting_during_the_tryout_quits_it_anonymises_and_signs_out_everywhere(
    make_plan, billing_reader, client, django_capture_on_commit_callbacks, run_at
):
    from django.test import Client

    plan = make_plan()
    traces_for(billing_reader, plan)
    elsewhere = Client()
    with time_machine.travel(day(3), tick=False):
        client.force_login(billing_reader)
        elsewhere.force_login(billing_reader)
        assert elsewhere.get("/shop/accounts/program/").status_code == 200
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = delete_through_page(client, at=day(3))

    assert response.status_code == 302 and response["Location"] == "/shop/accounts/deleted/"
    # Every session is over: the other browser is sent to sign in.
    with time_machine.travel(day(3, 1), tick=False):
        for browser in (client, elsewhere):
            answer = browser.get("/shop/accounts/program/")
            assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]

    user = get_user_model().objects.get(pk=billing_reader.pk)
    assert (user.is_active, user.email, user.first_name, user.username) == (
        False,
        "",
        "",
        f"deleted-{user.pk}",
    )
    assert not user.has_usable_password()

    order = Order.objects.get(pk=plan.order_id)
    assert order.user_id is None and order.guest_email == ""
    assert order.lines.count() == 1 and order.total_incl_tax > 0
    consent = TrialConsent.objects.get(order=order)
    assert (consent.ip_address, consent.user_agent, consent.country) == (None, "", "US")
    assert consent.text == "I agree (test)."
    log = DownloadLog.objects.get(user=user)
    assert (log.ip_address, log.user_agent) == (None, "")
    assert not Email.objects.filter(user=user).exists()
    assert not UserAddress.objects.filter(user=user).exists()
    assert not PlaybackPosition.objects.filter(user=user).exists()

    plan.refresh_from_db()
    assert plan.status == PlanStatus.TRIAL_QUIT
    assert set(plan.charges.values_list("status", flat=True)) == {ChargeStatus.CANCELLED}
    grant = DownloadGrant.objects.get(order=order)
    assert grant.ends_at == day(3) and not grant.is_active(day(3, 1))

    deleted = [m for m in mail.outbox if m.subject == "Your account is deleted"]
    assert len(deleted) == 1 and deleted[0].to == ["reader@example.com"]
    assert "Robin" in deleted[0].body

    # The billing clock afterwards takes nothing: the stand-in saw no payment at all.
    run_at(14)
    run_at(42)
    assert intents_of(plan) == [] and succeeded_cents(plan) == 0


@pytest.mark.django_db
def test_deleting_a_running_plan_cancels_the_remaining_payment(
    make_plan, billing_reader, client, run_at, django_capture_on_commit_callbacks
):
    plan = make_plan()
    run_at(14)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.INSTALLMENT_PAID and succeeded_cents(plan) == 9850

    client.force_login(billing_reader)
    with django_capture_on_commit_callbacks(execute=True):
        assert delete_through_page(client, at=day(20)).status_code == 302

    plan.refresh_from_db()
    assert plan.status == PlanStatus.CANCELLED
    assert plan.charges.get(sequence=2).status == ChargeStatus.CANCELLED
    run_at(42)
    run_at(60)
    assert succeeded_cents(plan) == 9850 and len(intents_of(plan)) == 1


@pytest.mark.django_db
def test_a_payment_waiting_for_the_bank_is_cancelled_at_stripe_first(
    make_plan, billing_reader, client, run_at, django_capture_on_commit_callbacks
):
    plan = make_plan(card_number=CARD_AUTHENTICATION)
    run_at(14)
    charge = plan.charges.get(sequence=1)
    assert charge.status == ChargeStatus.AWAITING_CONFIRMATION

    client.force_login(billing_reader)
    with django_capture_on_commit_callbacks(execute=True):
        assert delete_through_page(client, at=day(15)).status_code == 302

    charge.refresh_from_db()
    assert charge.status == ChargeStatus.CANCELLED
    assert gateway.payment_intent_retrieve(charge.payment_intent_id).failure_code == "canceled"
    run_at(42)
    assert succeeded_cents(plan) == 0


@pytest.mark.django_db
def test_a_wrong_password_deletes_nothing(make_plan, billing_reader, client):
    plan = make_plan()
    client.force_login(billing_reader)
    mail.outbox.clear()

    response = delete_through_page(client, at=day(3), password="not-my-password")

    assert response.status_code == 400
    assert "That password is not right" in response.content.decode()
    billing_reader.refresh_from_db()
    assert billing_reader.is_active and billing_reader.email == "reader@example.com"
    plan.refresh_from_db()
    assert plan.status == PlanStatus.TRIALING and plan.order.user_id == billing_reader.pk
    assert mail.outbox == []
    with time_machine.travel(day(3), tick=False):
        assert client.get("/shop/accounts/program/").status_code == 200


@pytest.mark.django_db
def test_refused_while_a_payment_is_being_taken(make_plan, billing_reader, client):
    plan = make_plan()
    charge, _ = charged_without_recording(plan)
    client.force_login(billing_reader)

    response = delete_through_page(client, at=day(14, 1))

    assert response.status_code == 400
    assert "A payment is being taken right now" in response.content.decode()
    billing_reader.refresh_from_db()
    assert billing_reader.is_active
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.PROCESSING
    assert Order.objects.get(pk=plan.order_id).user_id == billing_reader.pk


@pytest.mark.django_db
def test_a_second_submit_changes_nothing_and_sends_no_second_email(
    make_plan, billing_reader, client, django_capture_on_commit_callbacks
):
    make_plan()
    client.force_login(billing_reader)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert delete_through_page(client, at=day(3)).status_code == 302
        again = delete_through_page(client, at=day(3))
        with time_machine.travel(day(3), tick=False):
            assert account_delete(user_id=billing_reader.pk, password=PASSWORD) is False

    assert again.status_code == 302 and "/accounts/login/" in again["Location"]
    assert [m.subject for m in mail.outbox].count("Your account is deleted") == 1


@pytest.mark.django_db
def test_the_pages_need_a_signed_in_customer(client):
    for url in ("/shop/accounts/my-data/", DELETE_URL):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_oscars_delete_profile_leads_to_our_page(client, billing_reader):
    client.force_login(billing_reader)
    response = client.get("/shop/accounts/profile/delete/")
    assert response.status_code == 302 and response["Location"] == DELETE_URL
    page = client.get(DELETE_URL).content.decode()
    assert "No payment will ever be taken again" in page and 'name="password"' in page


@pytest.mark.skipif(
    connection.vendor == "sqlite", reason="SQLite cannot hold a row lock for two writers"
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_submits_at_once_delete_once_and_email_once(make_plan, billing_reader):
    make_plan()
    mail.outbox.clear()
    results, errors = [], []
    barrier = threading.Barrier(2)

    def submit():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            results.append(account_delete(user_id=billing_reader.pk, password=PASSWORD, now=day(3)))
        except AccountDeletionRefused as exc:
            errors.append(exc.user_message)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == [] and sorted(results) == [False, True]
    assert [m.subject for m in mail.outbox].count("Your account is deleted") == 1
