"""When the database connection drops in the middle of the work: the visitor gets a clear
page (503, nothing technical, a reference to quote), the error is logged with the request's
id, nothing is half-written, and the next try, by the visitor or by the clock, finishes the
work exactly once, with no second charge at Stripe.

The connection is cut for real on PostgreSQL: another connection ends the server process
behind Django's (``pg_terminate_backend``) right after a chosen call to Stripe returned.
SQLite has no server to cut: there the same moment raises the error a dropped connection
raises (``OperationalError``)."""

import logging

import psycopg
import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection
from django.test import Client
from oscar.core.loading import get_model

from shop import gateway
from shop.billing.models import ChargeStatus, InstallmentPlan, PlanStatus, ScheduledCharge
from shop.billing.scheduler import billing_run
from shop.downloads.models import DownloadGrant
from tests.shop.billing_helpers import day, intents_of
from tests.shop.billing_invariants import plan_invariants_check
from tests.shop.test_checkout_payment import (
    PAGE,
    filled_form,
    page_without_tryout,
    save_card,
    succeeded,
)

Order = get_model("order", "Order")

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.slow,
]


def connection_drop() -> None:
    """Cut Django's database connection as a network failure or a database restart would."""
    if connection.vendor != "postgresql":
        raise OperationalError("server closed the connection unexpectedly")
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    conninfo = {k: params[k] for k in ("dbname", "user", "host", "port", "password") if k in params}
    with psycopg.connect(**conninfo, autocommit=True) as other:
        # Waits (up to 5 s) until the process is gone, so the next query surely fails.
        other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])


@pytest.fixture
def drop_after(monkeypatch):
    """``drop_after("charge_off_session")``: the first call of that gateway function
    reaches Stripe, then the database connection drops before anything is recorded.
    Returns the list of what that call returned."""

    def arm(name: str) -> list:
        real = getattr(gateway, name)
        returned: list = []

        def call_then_drop(*args, **kwargs):
            result = real(*args, **kwargs)
            if not returned:
                returned.append(result)
                connection_drop()
            return result

        monkeypatch.setattr(gateway, name, call_then_drop)
        return returned

    return arm


@pytest.fixture(autouse=True)
def stripe_at_standin(settings, stripe_standin):
    settings.STRIPE_API_BASE = stripe_standin
    return stripe_standin


@pytest.fixture
def reader(django_user_model):
    return django_user_model.objects.create_user(
        "reader", "reader@example.com", "a-long-pass-phrase", first_name="Robin"
    )


@pytest.fixture
def program():
    from tests.shop.factories import ProgramFactory

    return ProgramFactory()


def after_the_failed_request() -> None:
    # What Django does when a request ends (close_old_connections); the test client
    # leaves it out, so the test does it.
    connection.close_if_unusable_or_obsolete()


@pytest.mark.parametrize(
    "moment",
    [
        # Charged at Stripe, the PaymentIntent not yet written down.
        "payment_intent_create_on_session",
        # Charged and written down, the order not yet written.
        "payment_intent_retrieve",
    ],
)
def test_checkout_losing_its_database_shows_a_clear_page_and_the_retry_pays_once(
    reader, program, drop_after, caplog, moment
):
    browser = Client(raise_request_exception=False)
    browser.force_login(reader)
    page = page_without_tryout(browser, program)
    form = filled_form(page, save_card(browser))
    orders_before = Order.objects.count()
    grants_before = DownloadGrant.objects.count()
    mail.outbox.clear()
    charged = drop_after(moment)

    with caplog.at_level(logging.ERROR):
        response = browser.post(PAGE, form)
    after_the_failed_request()

    assert charged, "the drop never happened"
    assert response.status_code == 503
    text = response.content.decode()
    assert "Something went wrong on our side" in text
    assert "you will not be charged twice" in text
    assert "Traceback" not in text and "OperationalError" not in text
    request_id = response["X-Request-ID"]
    assert request_id in text  # a reference the visitor can quote
    logged = [r for r in caplog.records if r.name == "web.errors"]
    assert len(logged) == 1 and request_id in logged[0].getMessage()
    assert logged[0].exc_info is not None
    # Nothing half-written: no order, plan, grant or email for the payment.
    assert Order.objects.count() == orders_before
    assert not InstallmentPlan.objects.filter(with_trial=False).exists()
    assert DownloadGrant.objects.count() == grants_before
    assert mail.outbox == []
    assert len(succeeded(reader)) == 1  # Stripe did take the payment

    again = browser.post(PAGE, form)

    assert again.status_code == 302 and again["Location"] == "/shop/checkout/thank-you/"
    paid = succeeded(reader)
    assert len(paid) == 1  # the same payment, not a second charge
    plan = InstallmentPlan.objects.get(with_trial=False)
    assert plan.charges.get(sequence=1).payment_intent_id == paid[0].id
    assert Order.objects.count() == orders_before + 1
    # One receipt for the payment, one for the order, as without the fault.
    subjects = sorted(m.subject for m in mail.outbox)
    assert len(subjects) == 2, subjects
    assert subjects[0].startswith("Receipt for order ")
    assert subjects[1].startswith("Receipt: payment 1 of 2")
    plan_invariants_check(plan)

    # Sent once more (a reload): the order is shown, nothing repeats.
    assert browser.post(PAGE, form).status_code == 302
    assert len(succeeded(reader)) == 1 and Order.objects.count() == orders_before + 1


def _plan(user, product, card_number):
    from tests.shop.factories import plan_for_tests

    return plan_for_tests(user=user, product=product, start=day(0), card_number=card_number)


def test_a_billing_run_losing_its_database_goes_on_and_the_next_run_records_once(
    reader, program, django_user_model, drop_after, caplog
):
    other = django_user_model.objects.create_user(
        "second", "second@example.com", "a-long-pass-phrase", first_name="Sam"
    )
    # Two cards: the free tryout is once per card.
    plans = [_plan(reader, program, "4242424242424242"), _plan(other, program, "5555555555554444")]
    mail.outbox.clear()
    charged = drop_after("charge_off_session")

    with time_machine.travel(day(14), tick=False), caplog.at_level(logging.ERROR):
        report = billing_run(now=day(14))

    assert charged, "the drop never happened"
    dropped = int(charged[0].metadata["charge_id"])
    lost = ScheduledCharge.objects.get(pk=dropped)
    # Charged at Stripe, not recorded: left "processing" for reconciliation.
    assert lost.status == ChargeStatus.PROCESSING
    assert any(str(dropped) in r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
    # The run went on with the next plan on a fresh connection.
    untouched = next(p for p in plans if p.pk != lost.plan_id)
    assert report.charged == {untouched.charges.get(sequence=1).pk: "succeeded"}
    assert len(mail.outbox) == 1

    # The clock's next runs: too early to reconcile, then the charge found at Stripe is
    # recorded once, with no second PaymentIntent and one receipt.
    for minutes in (1, 11, 12):
        at = day(14, minutes / 60)
        with time_machine.travel(at, tick=False):
            billing_run(now=at)

    lost.refresh_from_db()
    assert lost.status == ChargeStatus.PAID and lost.attempts == 1
    for plan in plans:
        plan.refresh_from_db()
        assert plan.status == PlanStatus.INSTALLMENT_PAID
        intents = intents_of(plan)
        assert [i.status for i in intents] == ["succeeded"], intents
        plan_invariants_check(plan)
    receipts = [m for m in mail.outbox if "Receipt: payment 1 of 2" in m.subject]
    assert sorted(m.to[0] for m in receipts) == ["reader@example.com", "second@example.com"]
    assert len(mail.outbox) == 2


def test_the_billing_command_exits_non_zero_when_the_database_cannot_be_reached(monkeypatch):
    def unreachable(**kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr("shop.billing.management.commands.billing_run.billing_run", unreachable)

    with pytest.raises(CommandError, match="The database cannot be reached"):
        call_command("billing_run")


def test_a_reminder_losing_its_database_does_not_stop_the_others_and_goes_out_once_later(
    reader, program, django_user_model, monkeypatch, caplog
):
    from shop.billing import scheduler

    other = django_user_model.objects.create_user(
        "second", "second@example.com", "a-long-pass-phrase", first_name="Sam"
    )
    plans = [_plan(reader, program, "4242424242424242"), _plan(other, program, "5555555555554444")]
    mail.outbox.clear()
    real = scheduler.payment_reminder_send
    dropped: list[int] = []

    def drop_then_remind(*, charge_id, now):
        if not dropped:
            dropped.append(charge_id)
            connection_drop()
        return real(charge_id=charge_id, now=now)

    monkeypatch.setattr(scheduler, "payment_reminder_send", drop_then_remind)
    with time_machine.travel(day(7), tick=False), caplog.at_level(logging.ERROR):
        report = billing_run(now=day(7))

    assert dropped, "the drop never happened"
    assert any(
        str(dropped[0]) in r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR
    )
    # The other plan was reminded in the same run, on a fresh connection.
    firsts = [p.charges.get(sequence=1).pk for p in plans]
    assert report.reminded == [pk for pk in firsts if pk != dropped[0]]
    assert len(mail.outbox) == 1

    # The next minute's run reminds the one left behind; a further run sends nothing more.
    for minutes in (1, 2):
        at = day(7, minutes / 60)
        with time_machine.travel(at, tick=False):
            billing_run(now=at)
    reminders = sorted(m.to[0] for m in mail.outbox)
    assert reminders == ["reader@example.com", "second@example.com"]
