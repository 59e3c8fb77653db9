"""Who may download: one rule per plan status, and the grant kept in step."""

import pytest

from shop.billing.access import grant_sync, plan_allows_download
from shop.billing.models import ChargeStatus, InstallmentPlan, PlanStatus
from shop.downloads.models import DownloadGrant
from tests.shop.billing_helpers import day

pytestmark = pytest.mark.django_db


def set_status(plan, status, **fields):
    InstallmentPlan.objects.filter(pk=plan.pk).update(status=status, **fields)
    plan.refresh_from_db()
    grant_sync(plan)
    return DownloadGrant.objects.get(order=plan.order)


def test_each_status_has_its_rule_and_the_grant_follows(make_plan):
    plan = make_plan()
    grant = DownloadGrant.objects.get(order=plan.order)
    assert grant.is_active(day(0)) and grant.is_active(day(13))
    assert not plan_allows_download(plan, day(-1))

    grant = set_status(plan, PlanStatus.INSTALLMENT_PAID)
    assert grant.ends_at is None and grant.is_active(day(30))

    grant = set_status(plan, PlanStatus.PAID_IN_FULL)
    assert grant.ends_at is None and grant.is_active(day(4000))

    grant = set_status(plan, PlanStatus.TRIAL_QUIT)
    assert grant.ends_at == plan.trial_ends_at
    assert grant.is_active(day(13, 23)) and not grant.is_active(day(14))

    first = plan.charges.get(sequence=1)
    first.status = ChargeStatus.FAILED
    first.save()
    grant = set_status(plan, PlanStatus.PAYMENT_FAILED)
    assert grant.is_active(day(20)) and not grant.is_active(day(21))
    grant = set_status(plan, PlanStatus.PAYMENT_FAILED, suspended_at=day(19))
    assert not grant.is_active(day(19)) and grant.ended_reason

    grant = set_status(plan, PlanStatus.CANCELLED, suspended_at=None, access_ends_at=day(42))
    assert grant.is_active(day(41)) and not grant.is_active(day(42))

    grant = set_status(plan, PlanStatus.REFUNDED, access_ends_at=day(20))
    assert not grant.is_active(day(20)) and not grant.is_active(day(400))
    assert grant.ended_reason == (
        "The order was refunded, so the program can no longer be downloaded."
    )
