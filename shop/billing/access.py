"""Who may download, decided in one place from the plan's state.

- Free tryout, payments under way: yes.
- Paid in full: for good.
- Tryout quit: until the tryout's end.
- Payment failed: while the installment is retried, i.e. until the plan is suspended (at
  the latest ``BILLING_GRACE_DAYS`` after the failed installment was due), then no.
- Confirmation needed (the bank asks the customer to confirm an installment): until the
  confirmation deadline (the same grace period), then the plan is suspended; a plan that
  was already suspended stays closed until the payment is confirmed.
- Cancelled (remaining payments cancelled): until ``plan.access_ends_at``, the due date of
  the first installment that will now never be paid.
- Refunded: no, from the refund on.

``grant_sync`` writes the answer into the order's download grants: when access ends
(``DownloadGrant.ends_at``) and the sentence the customer then reads (``ended_reason``).
The download views read only the grant, so they and these rules never disagree.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from shop.billing.models import ChargeStatus, InstallmentPlan, PlanStatus, ScheduledCharge
from shop.downloads.models import DownloadGrant
from web.dates import long_date

# What the customer reads on "My program" once the plan has closed (or paused) their
# access; ``{ended_on}`` is the day it ended.
ENDED_REASONS: dict[str, str] = {
    PlanStatus.TRIAL_QUIT: "You quit the free tryout, so access ended on {ended_on}.",
    PlanStatus.PAYMENT_FAILED: (
        "A payment did not go through, so downloads are paused until it is paid. "
        "See My program to update your card."
    ),
    PlanStatus.CONFIRMATION_NEEDED: (
        "A payment waits for your confirmation with your bank, so downloads are paused "
        "until it is confirmed. See My program."
    ),
    PlanStatus.CANCELLED: "The plan was cancelled, so the program can no longer be downloaded.",
    PlanStatus.REFUNDED: "The order was refunded, so the program can no longer be downloaded.",
}


def plan_ended_reason(plan: InstallmentPlan, ends: datetime) -> str:
    """The customer's sentence for a plan that ends their access at ``ends``."""
    return ENDED_REASONS.get(plan.status, "").format(ended_on=long_date(ends))


def grace_days() -> int:
    return settings.BILLING_GRACE_DAYS


def _first_charge(plan: InstallmentPlan, status: str, charges) -> ScheduledCharge | None:
    """The plan's earliest installment in ``status``: from ``charges`` when the caller has
    loaded them (a page listing many plans), else one query."""
    if charges is None:
        return plan.charges.filter(status=status).order_by("due_at").first()
    return min((c for c in charges if c.status == status), key=lambda c: c.due_at, default=None)


def plan_access_ends_at(plan: InstallmentPlan, charges=None) -> datetime | None:
    """When the plan's download ends; None while it stays open. ``charges``: the plan's
    installments, when already loaded."""
    if plan.status in (PlanStatus.TRIALING, PlanStatus.INSTALLMENT_PAID, PlanStatus.PAID_IN_FULL):
        return None
    if plan.status == PlanStatus.TRIAL_QUIT:
        return plan.trial_ends_at
    if plan.status == PlanStatus.PAYMENT_FAILED:
        if plan.suspended_at:
            return plan.suspended_at
        failed = _first_charge(plan, ChargeStatus.FAILED, charges)
        if failed is None:
            return None
        return failed.due_at + timedelta(days=grace_days())
    if plan.status == PlanStatus.CONFIRMATION_NEEDED:
        if plan.suspended_at:
            return plan.suspended_at
        waiting = _first_charge(plan, ChargeStatus.AWAITING_CONFIRMATION, charges)
        return waiting.confirm_by if waiting is not None else None
    # Cancelled or refunded: the time stored when it happened (refunded: at once).
    return plan.access_ends_at or plan.updated_at


def plan_allows_download(plan: InstallmentPlan, at: datetime | None = None, charges=None) -> bool:
    """True when the plan entitles its customer to download at ``at`` (default: now)."""
    at = at or timezone.now()
    if at < plan.trial_started_at:
        return False
    ends = plan_access_ends_at(plan, charges)
    return ends is None or at < ends


def grant_sync(plan: InstallmentPlan) -> None:
    """Keep the order's download grants in step with the plan: the same end, and the
    customer's sentence for it."""
    ends = plan_access_ends_at(plan)
    DownloadGrant.objects.filter(order_id=plan.order_id).update(
        ends_at=ends,
        ended_reason=plan_ended_reason(plan, ends) if ends else "",
        ended_by_plan=ends is not None,
    )
