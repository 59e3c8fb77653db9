"""billing_reconcile: our plans compared with Stripe's PaymentIntents."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from shop.billing.charging import charge_installment
from shop.billing.models import ChargeStatus, InstallmentRefund, RefundStatus, ScheduledCharge
from tests.shop.billing_helpers import charge_at_standin, day

pytestmark = pytest.mark.django_db


def charge_at_stripe(plan, charge, attempt="1"):
    return charge_at_standin(plan, charge, attempt)


def reconcile(*args) -> str:
    out = StringIO()
    call_command("billing_reconcile", *args, stdout=out)
    return out.getvalue()


def test_an_unrecorded_payment_is_reported_then_fixed_and_a_double_charge_refunded(
    make_plan, django_capture_on_commit_callbacks
):
    plan = make_plan()
    first, second = plan.charges.order_by("sequence")
    charge_installment(charge_id=first.pk, now=day(14))
    # A payment Stripe took that we never recorded (the charge was left failed here).
    ScheduledCharge.objects.filter(pk=second.pk).update(status=ChargeStatus.FAILED, attempts=1)
    taken = charge_at_stripe(plan, second)

    report = reconcile("--dry-run")
    assert (
        f"REPORT plan {plan.pk} charge {second.pk}: paid at Stripe ({taken.payment_intent_id})"
        in (report)
    )
    second.refresh_from_db()
    assert second.status == ChargeStatus.FAILED

    report = reconcile()
    assert f"FIXED plan {plan.pk} charge {second.pk}" in report
    second.refresh_from_db()
    assert (
        second.status == ChargeStatus.PAID and second.payment_intent_id == taken.payment_intent_id
    )
    assert plan.order.sources.get().amount_debited == Decimal("197.00")
    assert "0 differences" in reconcile()

    # Charged twice at Stripe: reported by a dry run, refunded automatically by a real one.
    twice = charge_at_stripe(plan, first, attempt="9")
    report = reconcile("--dry-run")
    assert f"REPORT plan {plan.pk} charge {first.pk}: installment 1 also charged by" in report
    assert plan.events.filter(kind="reconcile_differences").exists()
    with django_capture_on_commit_callbacks(execute=True):
        report = reconcile()
    assert f"FIXED plan {plan.pk} charge {first.pk}: installment 1 also charged by" in report
    refund = InstallmentRefund.objects.get(payment_intent_id=twice.payment_intent_id)
    assert refund.reason == InstallmentRefund.Reason.DOUBLE_CHARGE
    assert refund.status == RefundStatus.SUCCEEDED
    assert plan.events.filter(kind="late_payment_refunding").count() == 1
    # the order still shows the two installments paid, nothing refunded of them
    source = plan.order.sources.get()
    assert source.amount_debited == Decimal("197.00") and source.amount_refunded == 0
    assert "0 differences" in reconcile()
