"""The reminder before each payment, and the tryout's one-click quit link.

Every payment of a running plan (in its tryout, or with payments under way) gets one
reminder, at least ``BILLING_REMINDER_DAYS_BEFORE`` days (default 7) before its due date,
with the date, the amount, "payment N of M", the card and one-click links:

- the first payment after the tryout: TRIAL_REMINDER, with the signed link that quits the
  tryout without logging in (valid until the tryout ends); it also sets
  ``InstallmentPlan.reminder_sent_at``;
- every later payment, and those of a plan bought without the tryout: PAYMENT_REMINDER,
  with the signed link that cancels the remaining payments (``shop.billing.cancel_links``,
  valid until that payment is due) where the plan allows it.

Each reminder is claimed on its payment (``ScheduledCharge.reminder_sent_at``) by a
conditional UPDATE, so overlapping billing runs send it once. None is sent for a payment
that is no longer to be taken as scheduled, nor while an earlier payment is unpaid, nor for
a plan quit, cancelled, refunded, suspended or paid in full.
"""

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from shop.billing import transitions
from shop.billing.cancel_links import cancel_link_path, payments_cancel_allowed
from shop.billing.models import ChargeStatus, InstallmentPlan, PlanStatus, ScheduledCharge
from shop.errors import RefusedWithMessage
from web.dates import long_date

logger = logging.getLogger(__name__)

QUIT_LINK_SALT = "shop.billing.trial-quit-link"
# Sent an hour early, so a run a little late never makes it less than the promised days.
REMINDER_MARGIN = timedelta(hours=1)

TRIAL_REMINDER = "TRIAL_REMINDER"
PAYMENT_REMINDER = "PAYMENT_REMINDER"

# Plans whose payments are taken as scheduled: a failed payment stops the later ones until
# it is paid, and every other status takes nothing more.
RUNNING = (PlanStatus.TRIALING, PlanStatus.INSTALLMENT_PAID)
# Earlier payments settled: a later one is then the next to be taken.
SETTLED = (ChargeStatus.PAID, ChargeStatus.REFUNDED)


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


def _earlier_unsettled():
    return ScheduledCharge.objects.filter(
        plan=OuterRef("plan"), sequence__lt=OuterRef("sequence")
    ).exclude(status__in=SETTLED)


def payment_reminders_due(*, now: datetime):
    """Payments whose reminder is due and not yet sent: still scheduled, due within the
    reminder's days (and not yet), of a running plan, every earlier payment settled."""
    lead = timedelta(days=reminder_days_before()) + REMINDER_MARGIN
    return (
        ScheduledCharge.objects.filter(
            status=ChargeStatus.SCHEDULED,
            reminder_sent_at__isnull=True,
            due_at__gt=now,
            due_at__lte=now + lead,
            plan__status__in=RUNNING,
            plan__suspended_at__isnull=True,
        )
        .exclude(Exists(_earlier_unsettled()))
        .order_by("due_at", "pk")
    )


def payment_reminder_send(*, charge_id: int, now: datetime | None = None) -> bool:
    """Send the reminder before one payment, once; True when this call sent it.

    The plan is locked first (its status cannot change meanwhile: a quit or a cancel waits,
    and the email's key, taken from the plan's newest event, is this reminder's), then the
    payment is claimed by a conditional UPDATE."""
    now = now or timezone.now()
    with transaction.atomic():
        plan, charge = transitions.plan_and_charge_lock(charge_id=charge_id, skip_locked=True)
        if charge is None:
            return False  # being charged or reminded by another run right now
        if plan.status not in RUNNING or plan.suspended_at is not None:
            return False
        claimed = (
            ScheduledCharge.objects.filter(
                pk=charge.pk,
                status=ChargeStatus.SCHEDULED,
                reminder_sent_at__isnull=True,
                due_at__gt=now,
            )
            .exclude(Exists(_earlier_unsettled()))
            .update(reminder_sent_at=now)
        )
        if not claimed:
            return False
        charge.reminder_sent_at = now
        _reminder_record(plan, charge, now)
    return True


def payment_reminder_code(plan: InstallmentPlan) -> str:
    """Which reminder goes before the plan's next payment: TRIAL_REMINDER for the first
    payment after the tryout (quitting, not cancelling, is the way out), PAYMENT_REMINDER
    for any other."""
    if plan.with_trial and plan.status == PlanStatus.TRIALING:
        return TRIAL_REMINDER
    return PAYMENT_REMINDER


def payment_reminder_context(
    *, code: str, plan: InstallmentPlan, charge: ScheduledCharge, now: datetime
) -> dict:
    """What the reminder ``code`` before ``charge`` tells at ``now``: the payment and its
    links. The billing run sends it; the plan emails' preview shows it with a real plan."""
    update_card_path = reverse("billing:card-update", args=[plan.pk])
    if code == TRIAL_REMINDER:
        return {
            "charge": charge,
            "quit_path": quit_link_path(plan),
            "update_card_path": update_card_path,
        }
    cancellable = payments_cancel_allowed(plan)
    return {
        "charge": charge,
        "update_card_path": update_card_path,
        "cancel_path": cancel_link_path(charge) if cancellable else "",
        # What cancelling would mean for the download, as "My program" says it; the
        # earlier payments are settled (the reminder waits for them), so this is the next.
        "cancel_access_end": transitions.plan_cancel_access_end(plan, now, [charge]),
    }


def payment_reminder_email(
    *, plan: InstallmentPlan, charge: ScheduledCharge, now: datetime
) -> transitions.Email:
    """The reminder before ``charge`` as it is sent at ``now``."""
    code = payment_reminder_code(plan)
    return transitions.Email(
        code, payment_reminder_context(code=code, plan=plan, charge=charge, now=now)
    )


def _reminder_record(plan: InstallmentPlan, charge: ScheduledCharge, now: datetime) -> None:
    """The plan event now and the email after commit (one per event, so one per payment)."""
    email = payment_reminder_email(plan=plan, charge=charge, now=now)
    due = f"{charge.due_at:%Y-%m-%d}"
    if email.code == TRIAL_REMINDER:
        InstallmentPlan.objects.filter(pk=plan.pk, reminder_sent_at__isnull=True).update(
            reminder_sent_at=now
        )
        note = f"Reminder: first payment on {due}, quit link until then."
    else:
        link = ", cancel link until then." if email.extra["cancel_path"] else "."
        note = f"Reminder: payment {charge.sequence} of {plan.installment_count} on {due}{link}"
    transitions.notice_sent(
        plan=plan,
        move=transitions.Move.REMINDER_SENT,
        note=note,
        data={"charge": charge.pk, "sequence": charge.sequence, "email": email.code},
        email=email,
    )
