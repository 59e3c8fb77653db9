"""`manage.py billing_check` compares every plan with the Stripe stand-in and names each
broken money rule; the load test relies on its exit code."""

import io

import pytest
import time_machine
from django.core.management import call_command

from tests.shop.billing_helpers import charged_without_recording, day
from tests.support.processes import free_port

pytestmark = pytest.mark.django_db


def billing_check() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("billing_check", stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_a_plan_charged_and_recorded_passes(make_plan, run_at):
    plan = make_plan()
    with time_machine.travel(day(14), tick=False):
        run_at(14)
    assert plan.charges.filter(status="paid").count() == 1

    code, out, _ = billing_check()

    assert code == 0, out
    assert out.strip() == (
        "Checked 1 plans, 2 installments, 1 Stripe payments: 0 broken invariants in 0 plans."
    )


def test_money_taken_at_stripe_but_not_recorded_is_reported_with_exit_code_1(make_plan):
    plan = make_plan()
    charge, intent_id = charged_without_recording(plan)

    code, out, _ = billing_check()

    assert code == 1
    lines = out.strip().splitlines()
    assert f"plan {plan.pk}: Stripe took 9850, the order's source shows 0 debited" in lines
    assert any(
        line.startswith(f"plan {plan.pk}: Stripe took 9850 by {intent_id} for installment 1")
        for line in lines
    ), out
    assert lines[-1].startswith("Checked 1 plans, 2 installments, 1 Stripe payments: ")
    assert lines[-1].endswith(" in 1 plans.")


def test_stripe_unreachable_checks_nothing_and_exits_2(make_plan, settings):
    make_plan()
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"

    code, out, err = billing_check()

    assert code == 2
    assert out == ""
    assert "Stripe could not be reached; nothing was checked." in err
