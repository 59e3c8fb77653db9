"""The billing run costs a fixed number of queries per due plan, whatever their number:
queries(N) = a + b·N, measured with 3, 6 and 12 plans charged at the Stripe stand-in, and
with 3, 6 and 12 plans reminded of a payment (the first after the tryout, and a later one)."""

import pytest
from django.contrib.sites.models import Site
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from shop.billing.models import (
    ChargeStatus,
    InstallmentPlan,
    OutgoingEmail,
    PlanStatus,
    ScheduledCharge,
)
from tests.shop.billing_helpers import DAY0, day
from tests.shop.bulk_plans import plans_in_bulk
from tests.shop.factories import saved_card_for_tests

# What charging one installment costs today (claim, record, order, payment, email: its text
# and its HTML each list the next payment); a change that adds a query per plan shows here.
QUERIES_PER_PLAN = 42
# What the reminder before one payment costs (lock, claim, event, owed email, sending it):
# the first after the tryout also marks the plan and its HTML lists the payments still due; a
# later one says until when cancelling leaves the download open.
REMINDER_QUERIES_PER_PLAN = {"TRIAL_REMINDER": 23, "PAYMENT_REMINDER": 20}


@pytest.fixture
def email_types(db):
    """The plan's emails as the migration registers them (a test that empties the database
    may have removed them from a reused one): each receipt is then recorded on the order."""
    from oscar.core.loading import get_model

    CommunicationEventType = get_model("communication", "CommunicationEventType")
    for code, name in (
        ("INSTALLMENT_PAID", "Program: payment receipt"),
        ("TRIAL_REMINDER", "Program: the free tryout ends soon"),
        ("PAYMENT_REMINDER", "Program: payment coming up"),
    ):
        CommunicationEventType.objects.get_or_create(
            code=code, defaults={"name": name, "category": "Order related"}
        )


@pytest.fixture(autouse=True)
def emails_not_kept(settings):
    """The run's emails go straight to Django's memory backend: the outbox that keeps them in
    tests (one INSERT per email) stands in for a provider, whose cost is not a query."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def shared_card(billing_standin, billing_program, billing_reader):
    """One card saved at the stand-in, charged for every plan of the run."""
    return saved_card_for_tests(user=billing_reader)


def _run_with(count: int, *, product, card, run_at) -> int:
    """Queries of a billing run at the end of the tryout of ``count`` plans; the plans are
    rolled back afterwards, so each count starts from the same database."""
    with transaction.atomic():
        bulk = plans_in_bulk(
            product=product, card=card, start=DAY0, count=count, prefix=f"due-{count}"
        )
        # Each run is a new process in production: nothing cached from an earlier one.
        Site.objects.clear_cache()
        with CaptureQueriesContext(connection) as queries:
            report = run_at(14)
        assert sorted(report.charged.values()) == ["succeeded"] * count
        paid = ScheduledCharge.objects.filter(
            plan__in=bulk.plans, sequence=1, status=ChargeStatus.PAID
        )
        # Each paid by its own PaymentIntent at the stand-in.
        assert len(set(paid.values_list("payment_intent_id", flat=True))) == count
        statuses = set(
            InstallmentPlan.objects.filter(pk__in=[p.pk for p in bulk.plans]).values_list(
                "status", flat=True
            )
        )
        assert statuses == {PlanStatus.INSTALLMENT_PAID}
        transaction.set_rollback(True)
    return len(queries)


@pytest.mark.django_db
def test_billing_run_queries_grow_by_the_same_number_per_plan(
    email_types, shared_card, billing_program, run_at
):
    counts = {
        n: _run_with(n, product=billing_program, card=shared_card, run_at=run_at)
        for n in (3, 6, 12)
    }
    per_plan, rest = divmod(counts[6] - counts[3], 3)
    assert rest == 0, counts
    assert counts[12] - counts[6] == 6 * per_plan, counts
    fixed = counts[3] - 3 * per_plan
    assert (fixed, per_plan) == (fixed, QUERIES_PER_PLAN), counts


def _reminders_with(count: int, code: str, *, product, card, run_at) -> int:
    """Queries of a billing run reminding ``count`` plans of a payment (``code`` says which:
    the first after the tryout on day 7, or payment 2 on day 35 with payment 1 paid)."""
    with transaction.atomic():
        bulk = plans_in_bulk(
            product=product, card=card, start=DAY0, count=count, prefix=f"remind-{count}"
        )
        when = 7
        if code == "PAYMENT_REMINDER":
            ScheduledCharge.objects.filter(plan__in=bulk.plans, sequence=1).update(
                status=ChargeStatus.PAID, paid_at=day(14)
            )
            InstallmentPlan.objects.filter(pk__in=[p.pk for p in bulk.plans]).update(
                status=PlanStatus.INSTALLMENT_PAID
            )
            when = 35
        Site.objects.clear_cache()
        with CaptureQueriesContext(connection) as queries:
            report = run_at(when)
        assert len(report.reminded) == count
        sent = OutgoingEmail.objects.filter(plan__in=bulk.plans, code=code, sent_at__isnull=False)
        assert sent.count() == count
        transaction.set_rollback(True)
    return len(queries)


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["TRIAL_REMINDER", "PAYMENT_REMINDER"])
def test_reminders_cost_the_same_number_of_queries_per_plan(
    code, email_types, shared_card, billing_program, run_at
):
    counts = {
        n: _reminders_with(n, code, product=billing_program, card=shared_card, run_at=run_at)
        for n in (3, 6, 12)
    }
    per_plan, rest = divmod(counts[6] - counts[3], 3)
    assert rest == 0, counts
    assert counts[12] - counts[6] == 6 * per_plan, counts
    fixed = counts[3] - 3 * per_plan
    assert (fixed, per_plan) == (fixed, REMINDER_QUERIES_PER_PLAN[code]), counts
