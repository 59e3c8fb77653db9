"""The one module of plan moves: its table decides, refusals are loud, nobody else writes."""

import logging
import re
from pathlib import Path

import pytest

from shop.billing import transitions
from shop.billing.models import ChargeStatus, InstallmentPlan, PlanStatus
from shop.billing.transitions import ALLOWED_MOVES, MoveRefused
from shop.downloads.models import DownloadGrant
from tests.shop.billing_helpers import day

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_every_move_names_known_statuses():
    for move, (allowed_from, target) in ALLOWED_MOVES.items():
        assert allowed_from, move
        assert set(allowed_from) <= set(PlanStatus.values), move
        assert target is None or target in PlanStatus.values, move


@pytest.mark.parametrize(
    ("status", "allowed"),
    [(status, status in ALLOWED_MOVES["payments_cancelled"][0]) for status in PlanStatus.values],
)
def test_the_table_decides_each_move(make_plan, status, allowed, caplog):
    plan = make_plan()
    InstallmentPlan.objects.filter(pk=plan.pk).update(status=status)
    plan.refresh_from_db()
    if allowed:
        transitions._check(plan, "payments_cancelled")
        return
    with (
        caplog.at_level(logging.WARNING, logger="shop.billing.transitions"),
        pytest.raises(MoveRefused, match="cannot be done to a plan that is"),
    ):
        transitions._check(plan, "payments_cancelled")
    assert f"plan {plan.pk}: payments_cancelled refused from {status}" in caplog.text


def test_a_refused_move_changes_nothing(make_plan, caplog):
    plan = make_plan()
    InstallmentPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.PAID_IN_FULL)
    events = plan.events.count()
    with caplog.at_level(logging.WARNING, logger="shop.billing.transitions"):
        with pytest.raises(MoveRefused, match="can no longer be quit"):
            transitions.trial_quit(plan_id=plan.pk, now=day(3))
        with pytest.raises(MoveRefused):
            transitions.payments_cancelled(plan_id=plan.pk, now=day(3))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PAID_IN_FULL
    assert plan.events.count() == events
    assert not plan.charges.filter(status=ChargeStatus.CANCELLED).exists()
    assert DownloadGrant.objects.get(order=plan.order).ends_at is None
    assert "trial_quit refused from paid_in_full" in caplog.text


# Writes of a plan's or an installment's status, anywhere.
STATUS_WRITE = re.compile(
    r"(?<!self)\.status\s*=\s*(?!=)|update\([^)]*\bstatus\s*=|\.set_status\(|grant_sync\(|plan_email_send\("
)


def test_only_the_moves_module_changes_a_plan():
    offenders = []
    for path in sorted((ROOT / "shop").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "/migrations/" in relative or relative in {
            "shop/billing/transitions.py",
            "shop/billing/access.py",  # defines grant_sync
            "shop/billing/emails.py",  # defines plan_email_send
        }:
            continue
        text = path.read_text()
        if "InstallmentPlan" not in text and "ScheduledCharge" not in text:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if STATUS_WRITE.search(line) and not line.lstrip().startswith("#"):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []
