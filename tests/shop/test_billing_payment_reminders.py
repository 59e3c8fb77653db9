"""A reminder before each payment: the first after the tryout (with the quit link), each
later one (with the signed link that cancels the remaining payments), once each, only while
the payment is still to be taken; and the cancel link's page, which works without login."""

import importlib
import json
import re
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.core import mail, signing
from django.db import transaction
from oscar.core.loading import get_model

from shop.billing.actions import plan_payments_cancel
from shop.billing.cancel_links import cancel_link_path, cancel_link_plan, cancel_link_token
from shop.billing.models import (
    ChargeStatus,
    InstallmentPlan,
    OutgoingEmail,
    PlanStatus,
    ScheduledCharge,
)
from shop.billing.reminders import QUIT_LINK_SALT, quit_link_plan
from shop.billing.scheduler import billing_run
from shop.billing.services import (
    first_installment_paid_record,
    plan_trial_quit,
)
from tests.shop.billing_helpers import day, two_billing_runs_at
from tests.shop.factories import plan_for_tests
from tests.support.fake_gateway import CARD_DECLINED_WHEN_CHARGED

Basket = get_model("basket", "Basket")
Source = get_model("payment", "Source")
SourceType = get_model("payment", "SourceType")
CommunicationEventType = get_model("communication", "CommunicationEventType")

REMINDERS = ("TRIAL_REMINDER", "PAYMENT_REMINDER")


def html_of(message) -> str:
    return next(body for body, kind in message.alternatives if kind == "text/html")


def links_in(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"<>]+", text)


def path_of(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def quit_token_in(body: str) -> str:
    return re.search(r"/shop/accounts/program/quit/([^/]+)/", body).group(1)


def cancel_token_in(body: str) -> str:
    return re.search(r"/shop/accounts/program/cancel/([^/]+)/", body).group(1)


def link_path(token: str) -> str:
    return f"/shop/accounts/program/cancel/{token}/"


def reminder_emails() -> list:
    return [m for m in mail.outbox if "tryout ends" in m.subject or "Coming up" in m.subject]


def plan_without_tryout(*, user, product, start):
    """A plan bought without the tryout: payment 1 taken at checkout, the others scheduled."""
    plan = plan_for_tests(user=user, product=product, start=start, with_trial=False)
    with transaction.atomic():
        first_installment_paid_record(plan=plan, payment_intent_id="pi_at_checkout", paid_at=start)
    plan.refresh_from_db()
    return plan


@pytest.mark.django_db
def test_a_tryout_plan_gets_one_reminder_before_each_of_its_two_payments(make_plan, run_at):
    plan = make_plan()
    first, second = plan.charges.order_by("sequence")
    mail.outbox.clear()

    for n in range(1, 7):
        assert run_at(n).reminded == []
    assert run_at(7).reminded == [first.pk]
    trial = mail.outbox[-1]
    assert trial.subject == "Your free tryout ends on December 8, 2026: first payment $98.50"
    assert quit_link_plan(quit_token_in(trial.body), now=day(7)) == plan
    assert "/cancel/" not in trial.body
    plan.refresh_from_db()
    first.refresh_from_db()
    assert plan.reminder_sent_at == day(7) and first.reminder_sent_at == day(7)
    assert run_at(7, 0.5).reminded == [] and run_at(8).reminded == []

    assert run_at(14).charged == {first.pk: "succeeded"}
    for n in range(15, 35):
        assert run_at(n).reminded == []
    assert run_at(35).reminded == [second.pk]
    payment = mail.outbox[-1]
    assert payment.to == ["reader@example.com"]
    assert payment.subject == "Coming up on January 5, 2027: payment 2 of 2, $98.50"
    second.refresh_from_db()
    assert second.reminder_sent_at == day(35)
    for body in (payment.body, html_of(payment)):
        assert "Payment 2 of 2: $98.50 on January 5, 2027" in body
        assert "Visa ending 4242" in body
        assert "This is the last payment" in body
        assert "keep downloading the program until January 5, 2027" in body
        paths = [path_of(link) for link in links_in(body)]
        assert f"/shop/accounts/program/{plan.pk}/card/" in paths
        assert cancel_link_plan(cancel_token_in(body), now=day(35)) == (plan, second)
        assert "/shop/accounts/program/" in paths
        assert not [p for p in paths if "/quit/" in p]
    assert run_at(35, 0.5).reminded == [] and run_at(40).reminded == []

    assert run_at(42).charged == {second.pk: "succeeded"}
    assert run_at(43).reminded == [] and run_at(70).reminded == []
    assert len(reminder_emails()) == 2

    # One owed email per payment, each under its own key (the plan event it tells of).
    owed = OutgoingEmail.objects.filter(plan=plan, code__in=REMINDERS).order_by("pk")
    assert [e.code for e in owed] == list(REMINDERS)
    assert [e.context["charge"] for e in owed] == [
        {"__charge__": first.pk},
        {"__charge__": second.pk},
    ]
    assert len({e.key for e in owed}) == 2
    events = plan.events.filter(kind="reminder_sent").order_by("pk")
    assert [(e.data["sequence"], e.data["email"]) for e in events] == [
        (1, "TRIAL_REMINDER"),
        (2, "PAYMENT_REMINDER"),
    ]


@pytest.mark.django_db
def test_three_days_before_moves_both_reminders(make_fake_plan, run_at, settings):
    settings.BILLING_REMINDER_DAYS_BEFORE = 3
    plan = make_fake_plan()
    first, second = plan.charges.order_by("sequence")
    assert run_at(7).reminded == [] and run_at(10).reminded == []
    # An hour early, so a late run still gives the full three days.
    assert run_at(10, 23).reminded == [first.pk]
    assert run_at(14).charged == {first.pk: "succeeded"}
    assert run_at(35).reminded == [] and run_at(38).reminded == []
    assert run_at(38, 23).reminded == [second.pk]
    assert run_at(39).reminded == []


@pytest.mark.django_db
def test_no_reminder_after_the_tryout_is_quit(make_fake_plan, run_at):
    plan = make_fake_plan()
    with time_machine.travel(day(3), tick=False):
        plan_trial_quit(plan_id=plan.pk, actor=plan.user)
    mail.outbox.clear()
    for n in (7, 13, 35, 41):
        assert run_at(n).reminded == []
    assert reminder_emails() == []
    assert not ScheduledCharge.objects.filter(plan=plan, reminder_sent_at__isnull=False).exists()


@pytest.mark.django_db
def test_no_reminder_after_the_remaining_payments_are_cancelled(make_fake_plan, run_at):
    plan = make_fake_plan()
    first, _ = plan.charges.order_by("sequence")
    assert run_at(7).reminded == [first.pk]
    assert run_at(14).charged == {first.pk: "succeeded"}
    with time_machine.travel(day(20), tick=False):
        plan_payments_cancel(plan_id=plan.pk, actor=plan.user, now=day(20))
    mail.outbox.clear()
    for n in (35, 40, 41):
        assert run_at(n).reminded == []
    assert reminder_emails() == []


@pytest.mark.django_db
def test_no_reminder_for_a_payment_already_taken_nor_after_a_failed_one(
    make_fake_plan, run_at, billing_reader, django_user_model
):
    # The day-7 run never happened: the payment is taken on day 14 without a late reminder.
    plan = make_fake_plan()
    first, _ = plan.charges.order_by("sequence")
    assert run_at(14).charged == {first.pk: "succeeded"}
    assert run_at(14, 0.1).reminded == []
    first.refresh_from_db()
    assert first.reminder_sent_at is None

    # Payment 1 declined: payment 2 is not taken before it, so no reminder announces it.
    other = django_user_model.objects.create_user("declined", "declined@example.com", "x-pass-1")
    failing = make_fake_plan(card_number=CARD_DECLINED_WHEN_CHARGED, user=other)
    f1, f2 = failing.charges.order_by("sequence")
    assert run_at(7).reminded == [f1.pk]
    assert run_at(14).charged == {f1.pk: "failed"}
    for n in (21, 35, 41):
        assert f2.pk not in run_at(n).reminded
    failing.refresh_from_db()
    assert failing.status == PlanStatus.PAYMENT_FAILED
    assert not OutgoingEmail.objects.filter(plan=failing, code="PAYMENT_REMINDER").exists()


@pytest.mark.django_db
def test_a_plan_bought_without_the_tryout_is_reminded_of_its_later_payments(
    fake_gateway, billing_program, billing_reader, run_at
):
    with time_machine.travel(day(0), tick=False):
        plan = plan_without_tryout(user=billing_reader, product=billing_program, start=day(0))
    first, second = plan.charges.order_by("sequence")
    assert first.status == ChargeStatus.PAID and second.due_at == day(28)
    assert plan.status == PlanStatus.INSTALLMENT_PAID
    mail.outbox.clear()
    assert run_at(7).reminded == [] and run_at(20).reminded == []
    assert run_at(21).reminded == [second.pk]
    reminder = mail.outbox[-1]
    assert reminder.subject == "Coming up on December 22, 2026: payment 2 of 2, $98.50"
    assert cancel_link_plan(cancel_token_in(reminder.body), now=day(21)) == (plan, second)
    assert "/quit/" not in reminder.body
    assert run_at(22).reminded == []
    plan.refresh_from_db()
    assert plan.reminder_sent_at is None  # that one is the end-of-tryout reminder


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_overlapping_runs_send_each_reminder_once(make_plan):
    plan = make_plan()
    first, second = plan.charges.order_by("sequence")

    def two_runs_at(at) -> list:
        return sorted((report.reminded for report in two_billing_runs_at(at)), key=len)

    mail.outbox.clear()
    assert two_runs_at(day(7)) == [[], [first.pk]]
    billing_run(now=day(14))
    assert two_runs_at(day(35)) == [[], [second.pk]]
    assert [m.subject[:10] for m in reminder_emails()] == ["Your free ", "Coming up "]
    assert OutgoingEmail.objects.filter(plan=plan, code__in=REMINDERS).count() == 2
    assert plan.events.filter(kind="reminder_sent").count() == 2


@pytest.mark.django_db
def test_the_cancel_link_asks_then_cancels_once_without_login(make_fake_plan, run_at, client):
    plan = make_fake_plan()
    first, second = plan.charges.order_by("sequence")
    run_at(14)
    path = cancel_link_path(second)
    with time_machine.travel(day(36), tick=False):
        page = client.get(path)
        text = re.sub(r"<[^>]+>", "", page.content.decode())
        assert page.status_code == 200
        assert "Cancel the remaining payments?" in text
        assert "January 5, 2027: payment 2 of 2, $98.50" in text
        assert "keep downloading the program until" in text and "January 5, 2027" in text
        assert 'method="post"' in page.content.decode()
        plan.refresh_from_db()
        assert plan.status == PlanStatus.INSTALLMENT_PAID  # a GET (a mail scanner) changes nothing

        done = client.post(path)
        assert done.status_code == 200
        assert "Your remaining payments for" in done.content.decode()
        assert "You can keep downloading until" in done.content.decode()
        plan.refresh_from_db()
        second.refresh_from_db()
        assert plan.status == PlanStatus.CANCELLED and plan.access_ends_at == second.due_at
        assert second.status == ChargeStatus.CANCELLED
        assert plan.events.filter(kind="payments_cancelled", actor_label="customer (email link)")

        again = client.post(path)
        assert again.status_code == 200
        assert "already cancelled" in again.content.decode()
        assert client.get(path).status_code == 200
        assert plan.events.filter(kind="payments_cancelled").count() == 1
        assert OutgoingEmail.objects.filter(plan=plan, code="PAYMENTS_CANCELLED").count() == 1
    # Nothing more is charged or reminded.
    assert run_at(42).charged == {} and run_at(42).reminded == []


@pytest.mark.django_db
def test_an_altered_or_expired_cancel_link_is_refused_with_the_way_forward(
    make_fake_plan, run_at, client
):
    plan = make_fake_plan()
    first, second = plan.charges.order_by("sequence")
    run_at(14)
    token = cancel_link_token(second)
    _, signature = token.split(":", 1)
    # Another plan's and payment's numbers under the link's signature.
    other = {"plan": plan.pk + 1, "charge": second.pk + 2, "until": int(day(42).timestamp())}
    altered = signing.b64_encode(json.dumps(other, separators=(",", ":")).encode()).decode()
    # The right numbers, signed for another purpose (the quit link's salt).
    quit_signed = signing.dumps(
        {"plan": plan.pk, "charge": second.pk, "until": int(day(42).timestamp())},
        salt=QUIT_LINK_SALT,
    )
    with time_machine.travel(day(36), tick=False):
        for forged in (
            link_path(token[:-2] + "xx"),
            link_path(f"{altered}:{signature}"),
            link_path(quit_signed),
        ):
            page = client.post(forged)
            assert page.status_code == 400
            assert "This cancel link is not valid" in page.content.decode()
            assert "/shop/accounts/program/" in page.content.decode()
    with time_machine.travel(day(42, 0.01), tick=False):
        expired = client.post(link_path(token))
        assert expired.status_code == 410
        assert "This cancel link has expired" in expired.content.decode()
        assert "January 5, 2027" in expired.content.decode()
        assert "/shop/accounts/program/" in expired.content.decode()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.INSTALLMENT_PAID
    assert not plan.events.filter(kind="payments_cancelled").exists()


@pytest.mark.django_db
def test_the_cancel_link_of_a_refunded_plan_says_there_is_nothing_to_cancel(
    make_fake_plan, run_at, client
):
    from shop.billing.refunds import installment_refund

    plan = make_fake_plan()
    first, second = plan.charges.order_by("sequence")
    run_at(14)
    with time_machine.travel(day(20), tick=False):
        installment_refund(charge_id=first.pk)
        for method in (client.get, client.post):
            page = method(cancel_link_path(second))
            assert page.status_code == 409
            assert "Nothing to cancel: this order was refunded" in page.content.decode()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.REFUNDED


@pytest.mark.django_db
def test_the_migration_registers_the_email_and_keeps_sent_tryout_reminders(make_fake_plan):
    assert CommunicationEventType.objects.get(code="PAYMENT_REMINDER").name == (
        "Program: payment coming up"
    )
    plan = make_fake_plan()
    InstallmentPlan.objects.filter(pk=plan.pk).update(reminder_sent_at=day(7))
    migration = importlib.import_module("shop.billing.migrations.0013_payment_reminder")
    migration.first_reminder_copy(apps, None)
    first, second = plan.charges.order_by("sequence")
    assert first.reminder_sent_at == day(7) and second.reminder_sent_at is None


@pytest.mark.django_db
def test_three_payments_three_reminders_each_naming_what_follows(
    make_fake_plan, billing_program, run_at
):
    offer = billing_program.trial_offer
    offer.installment_count, offer.installment_amount = 3, Decimal("65.67")
    offer.save()
    plan = make_fake_plan()
    charges = list(plan.charges.order_by("sequence"))
    mail.outbox.clear()
    assert run_at(7).reminded == [charges[0].pk]
    assert run_at(14).charged == {charges[0].pk: "succeeded"}
    assert run_at(35).reminded == [charges[1].pk]
    second = mail.outbox[-1]
    assert second.subject == "Coming up on January 5, 2027: payment 2 of 3, $65.67"
    for body in (second.body, html_of(second)):
        assert "Then: February 2, 2027: payment 3 of 3, $65.67" in body
        assert "This is the last payment" not in body
    assert run_at(42).charged == {charges[1].pk: "succeeded"}
    assert run_at(63).reminded == [charges[2].pk]
    third = mail.outbox[-1]
    assert third.subject == "Coming up on February 2, 2027: payment 3 of 3, $65.67"
    assert "This is the last payment" in third.body and "Then:" not in third.body
    assert cancel_link_plan(cancel_token_in(third.body), now=day(63)) == (plan, charges[2])
    assert len(reminder_emails()) == 3
