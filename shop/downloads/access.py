"""Whether a download grant lets its customer download right now, in plain words."""

from datetime import datetime

from django.utils import timezone

from shop.billing.access import PLAN_NOT_LOADED, download_allowed, grant_plan
from shop.billing.models import InstallmentPlan
from shop.downloads.models import DownloadGrant


def _day(at: datetime) -> str:
    at = timezone.localtime(at)
    return f"{at:%B} {at.day}, {at:%Y}"


def grant_allows_download(
    grant: DownloadGrant, at: datetime | None = None, *, plan=PLAN_NOT_LOADED
) -> tuple[bool, str]:
    """(allowed, reason): the billing rules decide (``shop.billing.access``); this adds the
    words the customer reads when the answer is no. ``plan``: the order's plan (or None),
    when the caller has loaded it with its installments."""
    at = at or timezone.now()
    if at < grant.starts_at:
        return False, f"Your access starts on {_day(grant.starts_at)}."
    plan = grant_plan(grant, plan)
    if download_allowed(grant, at, plan=plan):
        return True, ""
    status = InstallmentPlan.Status
    if plan is not None and plan.status == status.TRIAL_QUIT:
        return False, f"You quit the free tryout, so access ended on {_day(plan.trial_ends_at)}."
    if plan is not None and plan.status == status.PAYMENT_FAILED:
        return False, (
            "A payment did not go through, so downloads are paused until it is paid. "
            "See My program to update your card."
        )
    if plan is not None and plan.status == status.CONFIRMATION_NEEDED:
        return False, (
            "A payment waits for your confirmation with your bank, so downloads are paused "
            "until it is confirmed. See My program."
        )
    if plan is not None and plan.status == status.REFUNDED:
        return False, "The order was refunded, so the program can no longer be downloaded."
    if plan is not None and plan.status == status.CANCELLED:
        return False, "The plan was cancelled, so the program can no longer be downloaded."
    if grant.ends_at is not None:
        ended = f"Your access ended on {_day(grant.ends_at)}."
        return False, f"{grant.ended_reason} {ended}".strip()
    return False, "This order does not give access to the program."
