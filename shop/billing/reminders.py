"""The end-of-tryout reminder and its one-click quit link.

The reminder goes once (``InstallmentPlan.reminder_sent_at``), at least
``BILLING_REMINDER_DAYS_BEFORE`` days (default 7) before the first payment, with the date,
the amount and a signed link that quits the tryout without logging in. The link names the
plan and the tryout's end; it is refused after that end or when tampered with.
"""

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from shop.billing import transitions
from shop.billing.models import InstallmentPlan, PlanStatus
from shop.errors import RefusedWithMessage
from web.dates import long_date

logger = logging.getLogger(__name__)

QUIT_LINK_SALT = "shop.billing.trial-quit-link"
# Sent an hour early, so a run a little late never makes it less than the promised days.
REMINDER_MARGIN = timedelta(hours=1)


class QuitLinkInvalid(RefusedWithMessage):
    """The quit link cannot be used; the message says why and what to do instead."""


def reminder_days_before() -> int:
    return settings.BILLING_REMINDER_DAYS_BEFORE


def quit_link_token(plan: InstallmentPlan) -> str:
    """A signed token naming the plan and the end of its tryout."""
    return signing.dumps(
        {"plan": plan.pk, "until": int(plan.trial_ends_at.timestamp())}, salt=QUIT_LINK_SALT
    )


def quit_link_path(plan: InstallmentPlan) -> str:
    return reverse("billing:trial-quit-link", args=[quit_link_token(plan)])


def quit_link_plan(token: str, *, now: datetime | None = None) -> InstallmentPlan:
    """The plan a quit link is for; raises QuitLinkInvalid (with a message for the reader)
    when the link was altered, or the tryout it was sent for has ended."""
    now = now or timezone.now()
    try:
        data = signing.loads(token, salt=QUIT_LINK_SALT)
        plan_id, until = int(data["plan"]), datetime.fromtimestamp(int(data["until"]), tz=UTC)
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise QuitLinkInvalid(
            "This quit link is not valid. Please use the link from your email as it is, or "
            "log in and quit from “My program”."
        ) from exc
    plan = InstallmentPlan.objects.select_related("product", "order").filter(pk=plan_id).first()
    if plan is None:
        raise QuitLinkInvalid("This quit link is not valid.")
    if now >= until:
        raise QuitLinkInvalid(
            f"This quit link has expired: the free tryout ended on {long_date(until)}."
        )
    return plan


def reminders_due(*, now: datetime):
    """Plans in their tryout whose reminder is due and not yet sent."""
    lead = timedelta(days=reminder_days_before()) + REMINDER_MARGIN
    return InstallmentPlan.objects.filter(
        status=PlanStatus.TRIALING,
        with_trial=True,
        reminder_sent_at__isnull=True,
        trial_ends_at__gt=now,
        trial_ends_at__lte=now + lead,
    )


def plan_reminder_send(*, plan_id: int, now: datetime | None = None) -> bool:
    """Send the end-of-tryout reminder once; True when this call sent it."""
    now = now or timezone.now()
    with transaction.atomic():
        # Claimed by a conditional UPDATE: two overlapping runs send it once.
        claimed = InstallmentPlan.objects.filter(
            pk=plan_id, reminder_sent_at__isnull=True, status=PlanStatus.TRIALING
        ).update(reminder_sent_at=now)
        if not claimed:
            return False
        plan = InstallmentPlan.objects.select_related("order", "user", "product").get(pk=plan_id)
        first = plan.charges.earliest("sequence")
        transitions.notice_sent(
            plan=plan,
            move=transitions.Move.REMINDER_SENT,
            note=f"Reminder: first payment on {first.due_at:%Y-%m-%d}, quit link until then.",
            email=transitions.Email(
                "TRIAL_REMINDER", {"charge": first, "quit_path": quit_link_path(plan)}
            ),
        )
    return True
