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

ENDED_REASONS = {
    Status.TRIAL_QUIT: "The free tryout was quit.",
    Status.PAYMENT_FAILED: "A payment failed and could not be collected.",
    Status.CONFIRMATION_NEEDED: "A payment waits for your confirmation.",
    Status.CANCELLED: "The remaining payments were cancelled.",
    Status.REFUNDED: "The payment was refunded.",
}


def grace_days() -> int:
    return int(getattr(settings, "BILLING_GRACE_DAYS", 7))


def plan_access_ends_at(plan: InstallmentPlan) -> datetime | None:
    """When the plan's download ends; None while it stays open."""
    if plan.status in (Status.TRIALING, Status.INSTALLMENT_PAID, Status.PAID_IN_FULL):
        return None
    if plan.status == Status.TRIAL_QUIT:
        return plan.trial_ends_at
    if plan.status == Status.PAYMENT_FAILED:
        if plan.suspended_at:
            return plan.suspended_at
        failed = (
            plan.charges.filter(status=ScheduledCharge.Status.FAILED).order_by("due_at").first()
        )
        if failed is None:
            return None
        return failed.due_at + timedelta(days=grace_days())
    if plan.status == Status.CONFIRMATION_NEEDED:
        if plan.suspended_at:
            return plan.suspended_at
        waiting = (
            plan.charges.filter(status=ScheduledCharge.Status.AWAITING_CONFIRMATION)
            .order_by("due_at")
            .first()
        )
        return waiting.confirm_by if waiting is not None else None
    # Cancelled or refunded: the time stored when it happened (refunded: at once).
    return plan.access_ends_at or plan.updated_at


def plan_allows_download(plan: InstallmentPlan, at: datetime | None = None) -> bool:
    """True when the plan entitles its customer to download at ``at`` (default: now)."""
    at = at or timezone.now()
    if at < plan.trial_started_at:
        return False
    ends = plan_access_ends_at(plan)
    return ends is None or at < ends


def download_allowed(grant: DownloadGrant, at: datetime | None = None) -> bool:
    """The one check for a download: the grant is open and its order's plan allows it."""
    at = at or timezone.now()
    if not grant.is_active(at):
        return False
    plan = InstallmentPlan.objects.filter(order_id=grant.order_id).first()
    return plan is None or plan_allows_download(plan, at)


def grant_sync(plan: InstallmentPlan) -> None:
    """Keep the order's download grants in step with the plan: same end, with the reason."""
    ends = plan_access_ends_at(plan)
    reason = ENDED_REASONS.get(plan.status, "") if ends else ""
    DownloadGrant.objects.filter(order_id=plan.order_id).update(ends_at=ends, ended_reason=reason)
