"""The billing clock walked through a plan's life against the Stripe stand-in."""

from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from oscar.core.loading import get_model

from shop.billing.access import plan_allows_download
from shop.billing.models import ChargeStatus, InstallmentPlan, PlanStatus
from shop.billing.reminders import quit_link_path
from shop.billing.tasks import billing_run_task
from shop.downloads.models import DownloadGrant
from tests.shop.billing_helpers import (
    charged_without_recording,
    day,
    intents_of,
    succeeded_cents,
    two_billing_runs_at,
)

PaymentEvent = get_model("order", "PaymentEvent")


def grant_open(plan, n: int) -> bool:
    grant = DownloadGrant.objects.get(order=plan.order)
    return grant.is_active(day(n)) and plan_allows_download(plan, day(n))


@pytest.mark.django_db
def test_a_plan_through_the_clock_from_tryout_to_paid_in_full(make_plan, run_at):
    plan = make_plan()
    mail.outbox.clear()

    first, second = plan.charges.order_by("sequence")
    for n in range(1, 7):
        report = run_at(n)
        assert not report.charged and not report.reminded
    assert run_at(7).reminded == [first.pk]
    reminder = mail.outbox[-1]
    assert reminder.subject == "Your free tryout ends on December 8, 2026: first payment $98.50"
    assert "December 8, 2026: payment 1 of 2, $98.50" in reminder.body
    assert "January 5, 2027: payment 2 of 2, $98.50" in reminder.body
    assert "/shop/accounts/program/quit/" in reminder.body
    assert run_at(8).reminded == []  # once
    assert len([m for m in mail.outbox if "tryout ends" in m.subject]) == 1

    assert run_at(13).charged == {}
    assert run_at(14).charged == {first.pk: "succeeded"}
    plan.refresh_from_db()
    assert plan.status == PlanStatus.INSTALLMENT_PAID
    assert plan.order.status == "Payments under way"
    assert succeeded_cents(plan) == 9850
    assert "Receipt: payment 1 of 2" in mail.outbox[-1].subject

    assert run_at(41).charged == {}
    assert run_at(42).charged == {second.pk: "succeeded"}
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PAID_IN_FULL
    assert plan.order.status == "Paid in full"
    assert plan.order.sources.get().amount_debited == Decimal("197.00")
    assert sorted(PaymentEvent.objects.filter(order=plan.order).values_list("amount", flat=True))[
        -2:
    ] == [Decimal("98.50"), Decimal("98.50")]
    assert "Paid in full" in mail.outbox[-1].subject

    assert run_at(70).charged == {}
    assert succeeded_cents(plan) == 19700 and len(intents_of(plan)) == 2
    assert grant_open(plan, 400)


@pytest.mark.django_db
def test_quit_on_day_3_nothing_is_ever_charged_and_access_ends_on_day_14(
    make_plan, run_at, client, django_capture_on_commit_callbacks
):
    plan = make_plan()
    client.force_login(plan.user)
    mail.outbox.clear()
    with (
        time_machine.travel(day(3), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(f"/shop/accounts/program/{plan.pk}/quit/", {"confirm": "yes"})
    assert response.status_code == 302
    assert "You have quit your free tryout" in mail.outbox[-1].subject

    for n in (7, 14, 15, 42, 70):
        report = run_at(n)
        assert report.charged == {} and report.reminded == []
    assert intents_of(plan) == []
    plan.refresh_from_db()
    assert plan.status == PlanStatus.TRIAL_QUIT
    assert grant_open(plan, 13) and not grant_open(plan, 14)


@pytest.mark.django_db
def test_the_reminder_quit_link_confirms_then_quits_without_login(make_plan, client):
    plan = make_plan()
    path = quit_link_path(plan)
    with time_machine.travel(day(7), tick=False):
        page = client.get(path)
        assert page.status_code == 200
        assert "Quit 2-Week Tryout" in page.content.decode()
        plan.refresh_from_db()
        assert plan.status == PlanStatus.TRIALING  # a GET (a mail scanner) changes nothing

        done = client.post(path)
        assert done.status_code == 200
        assert "You have quit the free tryout" in done.content.decode()
        plan.refresh_from_db()
        assert plan.status == PlanStatus.TRIAL_QUIT
        assert plan.events.filter(kind="trial_quit", actor_label="customer (email link)")

        again = client.post(path)
        assert "You had already quit this tryout" in again.content.decode()

        forged = client.get(path[:-3] + "xx/")
        assert forged.status_code == 400
        assert "This quit link is not valid" in forged.content.decode()


@pytest.mark.django_db
def test_an_expired_quit_link_says_so(make_plan, client):
    plan = make_plan()
    with time_machine.travel(day(15), tick=False):
        page = client.get(quit_link_path(plan))
    assert page.status_code == 400
    assert "This quit link has expired" in page.content.decode()


@pytest.mark.django_db
def test_retries_exhausted_then_the_plan_is_suspended_and_access_ends(make_plan, run_at):
    plan = make_plan(card_number="4000000000000341")
    charge = plan.charges.get(sequence=1)
    mail.outbox.clear()
    assert run_at(14).charged == {charge.pk: "failed"}
    assert run_at(14, 12).charged == {}
    assert run_at(15).charged == {charge.pk: "failed"}
    assert run_at(16).charged == {}
    assert run_at(17).charged == {charge.pk: "failed"}
    assert run_at(20).charged == {charge.pk: "failed"}
    charge.refresh_from_db()
    assert charge.attempts == 4 and charge.next_attempt_at is None
    assert grant_open(plan, 20)

    report = run_at(21)
    assert report.charged == {} and report.suspended == [plan.pk]
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PAYMENT_FAILED and plan.suspended_at == day(21)
    assert plan.order.status == "Payment failed"
    assert not grant_open(plan, 21)
    assert DownloadGrant.objects.get(order=plan.order).ends_at == day(21)
    assert "download of" in mail.outbox[-1].subject and "paused" in mail.outbox[-1].subject
    assert run_at(22).suspended == [] and run_at(50).charged == {}
    assert succeeded_cents(plan) == 0 and len(intents_of(plan)) == 4


@pytest.mark.django_db
def test_the_command_and_the_task_run_the_same_work(make_plan):
    plan = make_plan()
    call_command("billing_run", "--now", day(14).isoformat())
    plan.refresh_from_db()
    assert plan.status == PlanStatus.INSTALLMENT_PAID
    result = billing_run_task.enqueue(day(42).isoformat())
    second = plan.charges.get(sequence=2)
    assert result.return_value["charged"] == {str(second.pk): "succeeded"}
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PAID_IN_FULL


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_overlapping_runs_charge_once(make_plan):
    plan = make_plan()
    reports = two_billing_runs_at(day(14))
    assert sorted(len(r.charged) for r in reports) == [0, 1]
    assert succeeded_cents(plan) == 9850 and len(intents_of(plan)) == 1
    charge = plan.charges.get(sequence=1)
    assert charge.status == ChargeStatus.PAID and charge.attempts == 1


@pytest.mark.django_db
def test_a_run_reconciles_an_installment_left_processing_by_a_crash(make_plan, run_at):
    plan = make_plan()
    charge, _ = charged_without_recording(plan)
    assert run_at(14, 0.1).reconciled == []  # not stale yet: maybe still being recorded
    report = run_at(14, 0.5)
    assert report.reconciled == [charge.pk] and report.charged == {}
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.PAID and charge.attempts == 1
    assert succeeded_cents(plan) == 9850 and len(intents_of(plan)) == 1


@pytest.mark.django_db
def test_an_order_placed_through_the_checkout_pages_is_billed_to_paid_in_full(
    client, billing_standin, billing_program, billing_reader, run_at
):
    from tests.shop.test_trial_checkout import form_data, open_payment_page, save_card

    client.force_login(billing_reader)
    with time_machine.travel(day(0), tick=True):
        open_payment_page(client, billing_program)
        response = client.post(
            "/shop/checkout/payment-details/", form_data(client, save_card(client))
        )
    assert response.status_code == 302
    plan = InstallmentPlan.objects.get(user=billing_reader)
    assert plan.order.status == "Free tryout"

    assert run_at(7).reminded == [plan.charges.get(sequence=1).pk]
    # The order was placed a moment after day 0 began, so its payments fall due a moment
    # after day 14 and day 42: the clock's next minute takes them.
    assert run_at(14).charged == {}
    assert list(run_at(14, 0.02).charged.values()) == ["succeeded"]
    assert list(run_at(42, 0.02).charged.values()) == ["succeeded"]
    assert run_at(70).charged == {}
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PAID_IN_FULL and plan.order.status == "Paid in full"
    assert plan.order.sources.get().amount_debited == Decimal("197.00")
    assert succeeded_cents(plan) == 19700
    assert grant_open(plan, 400)
