"""The signed one-click link "Cancel the remaining payments", in the reminder before each
payment after the tryout.

The token names the plan and the payment the reminder was for, and is valid until that
payment's due time: after it, the payment has been taken (or tried) and the customer decides
on "My program" instead. An altered, expired or misdirected link is refused with a message
that says why and what to do. Opening the link changes nothing; its page posts to cancel.
"""

from datetime import UTC, datetime

from django.core import signing
from django.urls import reverse
from django.utils import timezone

from shop.billing import transitions
from shop.billing.models import InstallmentPlan, ScheduledCharge
from shop.errors import RefusedWithMessage
from web.dates import long_date

CANCEL_LINK_SALT = "shop.billing.payments-cancel-link"

INVALID = (
    "This cancel link is not valid. Please use the link from your email exactly as it is, "
    "or log in and cancel from “My program”."
)


class CancelLinkInvalid(RefusedWithMessage):
    """The link cannot be used; ``user_message`` says why, ``status`` is the HTTP answer."""

    def __init__(self, user_message: str, *, status: int = 400):
        super().__init__(user_message)
        self.status = status


def payments_cancel_allowed(plan: InstallmentPlan) -> bool:
    """Whether the customer may cancel the remaining payments now: the same rule as the
    "Cancel remaining payments" button on "My program" (after the tryout, while payments
    remain)."""
    allowed_from, _ = transitions.ALLOWED_MOVES[transitions.Move.PAYMENTS_CANCELLED]
    return plan.status in allowed_from


def cancel_link_token(charge: ScheduledCharge) -> str:
    """A signed token naming the plan, the payment and that payment's due time."""
    return signing.dumps(
        {"plan": charge.plan_id, "charge": charge.pk, "until": int(charge.due_at.timestamp())},
        salt=CANCEL_LINK_SALT,
    )


def cancel_link_path(charge: ScheduledCharge) -> str:
    return reverse("billing:payments-cancel-link", args=[cancel_link_token(charge)])


def cancel_link_plan(
    token: str, *, now: datetime | None = None
) -> tuple[InstallmentPlan, ScheduledCharge]:
    """The plan and payment a cancel link is for; raises CancelLinkInvalid (with a message
    for the reader) when the link was altered or the payment it was sent before is due."""
    now = now or timezone.now()
    try:
        data = signing.loads(token, salt=CANCEL_LINK_SALT)
        plan_id, charge_id = int(data["plan"]), int(data["charge"])
        until = datetime.fromtimestamp(int(data["until"]), tz=UTC)
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise CancelLinkInvalid(INVALID) from exc
    charge = (
        ScheduledCharge.objects.select_related("plan__order", "plan__product")
        .filter(pk=charge_id, plan_id=plan_id)
        .first()
    )
    if charge is None:
        raise CancelLinkInvalid(INVALID, status=404)
    if now >= until:
        raise CancelLinkInvalid(
            f"This cancel link has expired: it was valid until payment {charge.sequence} was "
            f"due, on {long_date(until)}. Log in and open “My program” to see your payments "
            "and what you can do now.",
            status=410,
        )
    return charge.plan, charge
