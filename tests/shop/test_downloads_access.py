"""Who may download: the grant's dates and every state of the billing rules."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from shop.billing.access import grant_sync
from shop.billing.models import ChargeStatus, InstallmentPlan, PlanStatus, ScheduledCharge
from shop.downloads.access import grant_allows_download
from tests.shop.download_factories import grant_with_plan
from tests.shop.factories import ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(django_user_model):
    return django_user_model.objects.create_user(
        username="reader", email="reader@example.com", password="pw"
    )


@pytest.fixture
def program():
    return ProgramFactory()


@pytest.mark.parametrize(
    "status", [PlanStatus.TRIALING, PlanStatus.INSTALLMENT_PAID, PlanStatus.PAID_IN_FULL]
)
def test_trialing_and_paying_customers_may_download(customer, program, status):
    grant = grant_with_plan(user=customer, product=program, status=status)

    assert grant_allows_download(grant) == (True, "")


def test_quit_tryout_downloads_until_the_trial_ends(customer, program):
    grant = grant_with_plan(
        user=customer, product=program, status=PlanStatus.TRIAL_QUIT, started=timedelta(days=3)
    )
    trial_end = grant.order.installment_plan.trial_ends_at
    grant.ends_at = trial_end
    grant.save()

    assert grant_allows_download(grant, trial_end - timedelta(minutes=1)) == (True, "")
    allowed, reason = grant_allows_download(grant, trial_end + timedelta(minutes=1))
    assert not allowed
    assert "ended on" in reason


def test_quit_tryout_is_closed_once_the_trial_has_ended(customer, program):
    grant = grant_with_plan(
        user=customer, product=program, status=PlanStatus.TRIAL_QUIT, started=timedelta(days=20)
    )

    allowed, reason = grant_allows_download(grant)
    assert not allowed
    assert reason.startswith("You quit the free tryout")


def test_failed_payment_keeps_access_during_the_grace_period(customer, program):
    grant = grant_with_plan(
        user=customer,
        product=program,
        status=PlanStatus.PAYMENT_FAILED,
        started=timedelta(days=15),
        ends_at=timezone.now() + timedelta(days=3),
    )

    assert grant_allows_download(grant) == (True, "")


def test_failed_payment_without_grace_suspends_downloads(customer, program):
    grant = grant_with_plan(
        user=customer, product=program, status=PlanStatus.PAYMENT_FAILED, started=timedelta(days=15)
    )
    # The installment failed ten days ago: past the seven days of grace.
    plan = InstallmentPlan.objects.get(order_id=grant.order_id)
    ScheduledCharge.objects.create(
        plan=plan,
        sequence=1,
        due_at=timezone.now() - timedelta(days=10),
        amount_cents=9850,
        currency="USD",
        status=ChargeStatus.FAILED,
    )
    grant_sync(plan)
    grant.refresh_from_db()

    allowed, reason = grant_allows_download(grant)
    assert not allowed
    assert "payment did not go through" in reason


@pytest.mark.parametrize(
    ("status", "words"),
    [(PlanStatus.REFUNDED, "refunded"), (PlanStatus.CANCELLED, "cancelled")],
)
def test_refunded_and_cancelled_orders_may_not_download(customer, program, status, words):
    grant = grant_with_plan(user=customer, product=program, status=status)

    allowed, reason = grant_allows_download(grant)
    assert not allowed
    assert words in reason


def test_an_ended_grant_says_why_in_plain_words(customer, program):
    grant = grant_with_plan(
        user=customer,
        product=program,
        status=PlanStatus.PAID_IN_FULL,
        ends_at=timezone.now() - timedelta(hours=1),
        ended_reason="The author closed this edition.",
    )

    allowed, reason = grant_allows_download(grant)
    assert not allowed
    assert reason.startswith("The author closed this edition. Your access ended on")


def test_a_grant_that_has_not_started_gives_nothing_yet(customer, program):
    grant = grant_with_plan(user=customer, product=program, started=-timedelta(days=1))

    allowed, reason = grant_allows_download(grant)
    assert not allowed
    assert "starts on" in reason


def test_reasons_written_before_read_as_customers_saw_them(customer, program):
    migration = importlib.import_module("shop.downloads.migrations.0003_grant_ended_by_plan")
    ended = timezone.now() - timedelta(days=1)
    quit_ = grant_with_plan(
        user=customer,
        product=program,
        status=PlanStatus.TRIAL_QUIT,
        ends_at=ended,
        ended_reason="The free tryout was quit.",
    )
    closed = grant_with_plan(
        user=customer,
        product=program,
        status=PlanStatus.PAID_IN_FULL,
        ends_at=ended,
        ended_reason="The author closed this edition.",
    )

    migration.reasons_as_sentences(django_apps, None)

    quit_.refresh_from_db()
    assert quit_.ended_by_plan
    assert grant_allows_download(quit_) == (
        False,
        f"You quit the free tryout, so access ended on {ended:%B} {ended.day}, {ended:%Y}.",
    )
    closed.refresh_from_db()
    assert not closed.ended_by_plan
    assert closed.ended_reason == "The author closed this edition."

    migration.sentences_as_reasons(django_apps, None)
    quit_.refresh_from_db()
    assert quit_.ended_reason == "The free tryout was quit."
