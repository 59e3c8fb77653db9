"""Who may download: the grant's dates and every state of the billing rules."""

from datetime import timedelta

import pytest
from django.utils import timezone

from shop.billing.models import InstallmentPlan
from shop.downloads.access import grant_allows_download
from tests.shop.download_factories import grant_with_plan
from tests.shop.factories import ProgramFactory

Status = InstallmentPlan.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(django_user_model):
    return django_user_model.objects.create_user(
        username="reader", email="reader@example.com", password="pw"
    )


@pytest.fixture
def program():
    return ProgramFactory()


@pytest.mark.parametrize("status", [Status.TRIALING, Status.INSTALLMENT_PAID, Status.PAID_IN_FULL])
def test_trialing_and_paying_customers_may_download(customer, program, status):
    grant = grant_with_plan(user=customer, product=program, status=status)

    assert grant_allows_download(grant) == (True, "")


def test_quit_tryout_downloads_until_the_trial_ends(customer, program):
    grant = grant_with_plan(
        user=customer, product=program, status=Status.TRIAL_QUIT, started=timedelta(days=3)
    )
    trial_end = grant.order.installment_plan.trial_ends_at
    grant.ends_at = trial_end
    grant.save()

    assert grant_allows_download(grant, trial_end - timedelta(minutes=1)) == (True, "")
    allowed, reason = grant_allows_download(grant, trial_end + timedelta(minutes=1))
    assert not allowed
    assert "ended on" in reason


def test_quit_tryout_is_closed_by_the_plan_even_without_a_grant_end(customer, program):
    grant = grant_with_plan(
        user=customer, product=program, status=Status.TRIAL_QUIT, started=timedelta(days=20)
    )

    allowed, reason = grant_allows_download(grant)
    assert not allowed
    assert reason.startswith("You quit the free tryout")


def test_failed_payment_keeps_access_during_the_grace_period(customer, program):
    grant = grant_with_plan(
        user=customer,
        product=program,
        status=Status.PAYMENT_FAILED,
        started=timedelta(days=15),
        ends_at=timezone.now() + timedelta(days=3),
    )

    assert grant_allows_download(grant) == (True, "")


def test_failed_payment_without_grace_suspends_downloads(customer, program):
    from shop.billing.models import InstallmentPlan, ScheduledCharge

    grant = grant_with_plan(
        user=customer, product=program, status=Status.PAYMENT_FAILED, started=timedelta(days=15)
    )
    # The installment failed ten days ago: past the seven days of grace.
    plan = InstallmentPlan.objects.get(order_id=grant.order_id)
    ScheduledCharge.objects.create(
        plan=plan,
        sequence=1,
        due_at=timezone.now() - timedelta(days=10),
        amount_cents=9850,
        currency="USD",
        status=ScheduledCharge.Status.FAILED,
    )

    allowed, reason = grant_allows_download(grant)
    assert not allowed
    assert "payment did not go through" in reason


@pytest.mark.parametrize(
    ("status", "words"),
    [(Status.REFUNDED, "refunded"), (Status.CANCELLED, "cancelled")],
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
        status=Status.PAID_IN_FULL,
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
