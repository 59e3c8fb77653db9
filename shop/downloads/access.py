"""Whether a download grant lets its customer download right now, in plain words."""

from datetime import datetime

from django.utils import timezone

from shop.billing.models import InstallmentPlan
from shop.downloads.models import DownloadGrant


def _day(at: datetime) -> str:
    at = timezone.localtime(at)
    return f"{at:%B} {at.day}, {at:%Y}"


def grant_allows_download(grant: DownloadGrant, at: datetime | None = None) -> tuple[bool, str]:
    """(allowed, reason): the grant's own dates, then the state of the order's plan.

    Trialing or paid: yes. Tryout quit: until the tryout's end. A failed payment: only while
    the grant still has an end date ahead (the grace period). Refunded or cancelled: no.
    The reason is empty when allowed and otherwise says why, for the customer."""
    at = at or timezone.now()
    if at < grant.starts_at:
        return False, f"Your access starts on {_day(grant.starts_at)}."
    if not grant.is_active(at):
        ended = f"Your access ended on {_day(grant.ends_at)}."
        return False, f"{grant.ended_reason} {ended}".strip()
    plan = InstallmentPlan.objects.filter(order_id=grant.order_id).first()
    if plan is None:
        return True, ""
    status = InstallmentPlan.Status
    if plan.status in (status.TRIALING, status.INSTALLMENT_PAID, status.PAID_IN_FULL):
        return True, ""
    if plan.status == status.TRIAL_QUIT:
        if at < plan.trial_ends_at:
            return True, ""
        return False, (f"You quit the free tryout, so access ended on {_day(plan.trial_ends_at)}.")
    if plan.status == status.PAYMENT_FAILED:
        if grant.ends_at is not None and at < grant.ends_at:
            return True, ""
        return False, (
            "A payment did not go through, so downloads are paused until it is paid. "
            "See My program to update your card."
        )
    if plan.status == status.REFUNDED:
        return False, "The order was refunded, so the program can no longer be downloaded."
    if plan.status == status.CANCELLED:
        return False, "The plan was cancelled, so the program can no longer be downloaded."
    return False, "This order does not give access to the program."
