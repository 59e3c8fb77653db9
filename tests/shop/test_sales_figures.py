"""Every figure of the sales report against a known set of plans (tests/shop/sales_plans.py),
weeks with nothing included."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from shop.sales import figures
from shop.sales.figures import Period
from tests.shop.sales_plans import NOW, at, known_plans

pytestmark = pytest.mark.django_db

# Sep 21 to Nov 23 2026: ten weeks, the first two with nothing.
PERIOD = Period.of(date(2026, 9, 21), date(2026, 11, 29))


@pytest.fixture
def plans():
    built = known_plans()
    with time_machine.travel(NOW, tick=False):
        yield built


def by_week(rows, *names):
    return {row.week.isoformat(): tuple(getattr(row, name) for name in names) for row in rows}


def test_weekly_counts_every_week_in_the_range(plans):
    rows = figures.weekly_counts(PERIOD)

    names = (
        "tryouts_started",
        "tryouts_quit",
        "converted",
        "paid_in_full",
        "payments_failed",
        "refunded",
    )
    assert by_week(rows, *names) == {
        "2026-09-21": (0, 0, 0, 0, 0, 0),
        "2026-09-28": (0, 0, 0, 0, 0, 0),
        "2026-10-05": (2, 1, 0, 0, 0, 0),
        "2026-10-12": (2, 0, 0, 0, 0, 0),
        "2026-10-19": (0, 0, 1, 0, 0, 0),
        "2026-10-26": (0, 0, 2, 0, 0, 1),
        "2026-11-02": (0, 0, 0, 0, 0, 1),
        # "direct" was bought without the tryout: no tryout started, none converted.
        "2026-11-09": (2, 0, 0, 0, 0, 0),
        "2026-11-16": (1, 0, 0, 1, 0, 0),
        "2026-11-23": (0, 0, 0, 1, 1, 0),
    }
    assert [row.week_end for row in rows[:1]] == [date(2026, 9, 27)]


def test_a_plan_refunded_twice_in_a_week_counts_once(plans):
    from tests.shop.sales_plans import refunded

    refunded(plans.full, 1, 1000, at(11, 24, 12))
    refunded(plans.full, 2, 9850, at(11, 24, 13))

    last = figures.weekly_counts(PERIOD)[-1]

    assert last.refunded == 1


def test_funnel_counts_and_rates(plans):
    funnel = figures.tryout_funnel(PERIOD)

    assert (
        funnel.started,
        funnel.still_in_tryout,
        funnel.quit,
        funnel.first_payment,
        funnel.paid_in_full,
    ) == (7, 1, 1, 3, 2)
    assert funnel.first_payment_rate == Decimal("42.9")
    assert funnel.paid_in_full_rate == Decimal("66.7")
    assert funnel.overall_rate == Decimal("28.6")
    assert funnel.steps == [
        ("Tryouts started", 7, None),
        ("First payment", 3, Decimal("42.9")),
        ("Paid in full", 2, Decimal("66.7")),
    ]


def test_funnel_of_a_period_without_tryouts_has_no_rates(plans):
    funnel = figures.tryout_funnel(Period.of(date(2026, 1, 5), date(2026, 2, 1)))

    assert funnel.started == 0
    assert (funnel.first_payment_rate, funnel.paid_in_full_rate, funnel.overall_rate) == (
        None,
        None,
        None,
    )


def test_collected_per_week_is_taken_minus_refunded_when_the_money_moved(plans):
    rows = figures.collected_per_week(PERIOD)

    assert by_week(
        rows, "installments_cents", "purchases_cents", "refunds_cents", "collected_cents"
    ) == {
        "2026-09-21": (0, 0, 0, 0),
        "2026-09-28": (0, 0, 0, 0),
        "2026-10-05": (0, 0, 0, 0),
        "2026-10-12": (0, 0, 0, 0),
        "2026-10-19": (9850, 0, 0, 9850),
        "2026-10-26": (19700, 0, 9850, 9850),
        "2026-11-02": (0, 0, 2000, -2000),
        "2026-11-09": (9850, 2500, 0, 12350),
        "2026-11-16": (9850, 0, 0, 9850),
        "2026-11-23": (9850, 0, 0, 9850),
    }
    assert sum(row.collected_cents for row in rows) == 49750
    assert figures.collected_between(at(9, 1), NOW) == 49750
    assert figures.collected_between(None, at(11, 9)) == 9850 + 9850 - 2000


def test_tryouts_collect_nothing():
    from tests.shop.sales_plans import plan_started

    plan_started("only-tryout", at(11, 20))
    with time_machine.travel(NOW, tick=False):
        assert [row.collected_cents for row in figures.collected_per_week(PERIOD)] == [0] * 10
        assert figures.collected_between(at(1, 1), NOW) == 0


def test_scheduled_for_the_next_eight_weeks(plans):
    rows = figures.scheduled_per_week(now=NOW)

    assert by_week(
        rows, "scheduled_cents", "scheduled_count", "retries_cents", "retries_count"
    ) == {
        # "failed"'s payment 1 is tried again on Wednesday.
        "2026-11-23": (0, 0, 9850, 1),
        "2026-11-30": (9850, 1, 0, 0),  # "running", payment 1
        "2026-12-07": (9850, 1, 0, 0),  # "direct", payment 2
        "2026-12-14": (0, 0, 0, 0),
        "2026-12-21": (19700, 2, 0, 0),  # "waiting" and "failed", payment 2
        "2026-12-28": (9850, 1, 0, 0),  # "running", payment 2
        "2027-01-04": (0, 0, 0, 0),
        "2027-01-11": (0, 0, 0, 0),
    }
    assert rows[0].expected_cents == 9850


def test_an_overdue_payment_is_scheduled_this_week(plans):
    running_first = plans.running.charges.get(sequence=1)

    rows = figures.scheduled_per_week(now=at(12, 9))

    assert rows[0].week == date(2026, 12, 7)
    # "running"'s payment 1 (due Dec 4) and "direct"'s payment 2 (Dec 7), not yet taken.
    assert rows[0].scheduled_cents == 2 * running_first.amount_cents


def test_payments_to_chase_with_their_plan_and_next_step(plans):
    rows = figures.payments_to_chase()

    assert [
        (
            row.plan_id,
            row.email,
            row.payment_label,
            row.amount_cents,
            row.status_label,
            row.due_at,
            row.next_step_at,
        )
        for row in rows
    ] == [
        (
            plans.failed.pk,
            "failed@example.com",
            "Payment 1 of 2",
            9850,
            "Failed",
            at(11, 24),
            at(11, 25),
        ),
        (
            plans.waiting.pk,
            "waiting@example.com",
            "Payment 1 of 2",
            9850,
            "Awaiting confirmation",
            at(11, 23, 11),
            at(11, 30, 11),
        ),
    ]
    assert rows[1].order_number == str(plans.waiting.order.number)


def test_at_a_glance(plans):
    glance = figures.at_a_glance(now=NOW)

    assert glance.this_week_cents == 9850
    assert glance.last_four_weeks_cents == -2000 + 12350 + 9850 + 9850
    assert glance.tryouts_running == 1
    assert glance.to_chase == 2
    assert [week.week for week in glance.weeks][0] == date(2026, 10, 5)
    assert len(glance.weeks) == 8
