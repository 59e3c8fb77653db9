"""Who may download, decided in one place from the plan's state.

- Trialing, "Installment 1 paid": yes.
- Paid in full: for good.
- Trial quit: until the tryout's end.
- Payment failed: while the installment is retried, i.e. until the plan is suspended (at
  the latest ``BILLING_GRACE_DAYS`` after the failed installment was due), then no.
- Confirmation needed (the bank asks the customer to confirm an installment): until the
  confirmation deadline (the same grace period), then the plan is suspended; a plan that
  was already suspended stays closed until the payment is confirmed.
- Cancelled (remaining payments cancelled): until ``plan.access_ends_at``, the due date of
  the first installment that will now never be paid.
- Refunded: no, from the refund on.

``grant_sync`` writes the same answer into ``DownloadGrant.ends_at``, so the download views
(which read the grant) and these rules never disagree.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from shop.billing.models import InstallmentPlan, ScheduledCharge
from shop.downloads.models import DownloadGrant

Status = InstallmentPlan.Status

ENDED_REASONS: dict[str, str] = {
    Status.TRIAL_QUIT: "The free tryout was quit.",
    Status.PAYMENT_FAILED: "A payment failed and could not be collected.",
    Status.CONFIRMATION_NEEDED: "A payment waits for your confirmation.",
    Status.CANCELLED: "The remaining payments were cancelled.",
    Status.REFUNDED: "The payment was refunded.",
}


def grace_days() -> int:
    return int(getattr(settings, "BILLING_GRACE_DAYS", 7))


def _first_charge(plan: InstallmentPlan, status: str, charges) -> ScheduledCharge | None:
    """The plan's earliest installment in ``status``: from ``charges`` when the caller has
    loaded them (a page listing many plans), else one query."""
    if charges is None:
        return plan.charges.filter(status=status).order_by("due_at").first()
    return min((c for c in charges if c.status == status), key=lambda c: c.due_at, default=None)


def plan_access_ends_at(plan: InstallmentPlan, charges=None) -> datetime | None:
    """When the plan's download ends; None while it stays open. ``charges``: the plan's
    installments, when already loaded."""
    if plan.status in (Status.TRIALING, Status.INSTALLMENT_PAID, Status.PAID_IN_FULL):
        return None
    if plan.status == Status.TRIAL_QUIT:
        return plan.trial_ends_at
    if plan.status == Status.PAYMENT_FAILED:
        if plan.suspended_at:
            return plan.suspended_at
        failed = _first_charge(plan, ScheduledCharge.Status.FAILED, charges)
        if failed is None:
            return None
        return failed.due_at + timedelta(days=grace_days())
    if plan.status == Status.CONFIRMATION_NEEDED:
        if plan.suspended_at:
            return plan.suspended_at
        waiting = _first_charge(plan, ScheduledCharge.Status.AWAITING_CONFIRMATION, charges)
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


# "Look the order's plan up": a caller that loaded the plans of many grants passes each one
# (or None for an order without a plan) instead.
PLAN_NOT_LOADED = object()


def grant_plan(grant: DownloadGrant, plan=PLAN_NOT_LOADED) -> InstallmentPlan | None:
    """The plan of the grant's order, as given or looked up."""
    if plan is PLAN_NOT_LOADED:
        return InstallmentPlan.objects.filter(order_id=grant.order_id).first()
    return plan


def download_allowed(
    grant: DownloadGrant, at: datetime | None = None, *, plan=PLAN_NOT_LOADED
) -> bool:
    """The one check for a download: the grant is open and its order's plan allows it.
    ``plan``: the order's plan with its installments prefetched, when already loaded."""
    at = at or timezone.now()
    if not grant.is_active(at):
        return False
    plan = grant_plan(grant, plan)
    if plan is None:
        return True
    # Read from the prefetch when there is one; else one query, only if the status needs it.
    return plan_allows_download(plan, at, plan.charges.all())


def grant_sync(plan: InstallmentPlan) -> None:
    """Keep the order's download grants in step with the plan: same end, with the reason."""
    ends = plan_access_ends_at(plan)
    reason = ENDED_REASONS.get(plan.status, "") if ends else ""
    DownloadGrant.objects.filter(order_id=plan.order_id).update(ends_at=ends, ended_reason=reason)
