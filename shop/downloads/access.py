"""Whether a download grant lets its customer download right now, in plain words.

The grant carries all it takes: when access starts and ends, and why it ended. The order's
payment plan keeps those in step with its own state."""

from datetime import datetime

from django.utils import timezone

from shop.downloads.models import DownloadGrant
from web.dates import long_date


def grant_allows_download(grant: DownloadGrant, at: datetime | None = None) -> tuple[bool, str]:
    """(allowed, reason): the reason is what the customer reads when the answer is no."""
    at = at or timezone.now()
    if at < grant.starts_at:
        return False, f"Your access starts on {long_date(grant.starts_at)}."
    if grant.is_active(at):
        return True, ""
    if grant.ended_by_plan:
        return False, grant.ended_reason
    ended = f"Your access ended on {long_date(grant.ends_at)}."
    return False, f"{grant.ended_reason} {ended}".strip()
