"""The signed link to "Confirm your payment": in the emails sent when the bank asks the
customer to confirm an installment (3-D Secure on an off-session charge).

The token names the installment, the PaymentIntent waiting for the customer and the end of
the grace period; the page refuses it when altered, after that end, for another account,
or once the installment no longer waits for that PaymentIntent.
"""

from datetime import UTC, datetime

from django.core import signing
from django.urls import reverse
from django.utils import timezone

from shop.billing.models import ChargeStatus, ScheduledCharge
from shop.errors import RefusedWithMessage
from web.dates import long_date

CONFIRM_LINK_SALT = "shop.billing.payment-confirm-link"


class ConfirmLinkInvalid(RefusedWithMessage):
    """The link cannot be used; ``user_message`` says why, ``status`` is the HTTP answer."""

    def __init__(self, user_message: str, *, status: int = 400, charge=None):
        super().__init__(user_message)
        self.status = status
        self.charge = charge


def _signer() -> signing.Signer:
    return signing.Signer(salt=CONFIRM_LINK_SALT)


def confirm_link_token(charge: ScheduledCharge) -> str:
    """The same token for the same request, however often the email is sent again."""
    return _signer().sign_object(
        {
            "charge": charge.pk,
            "pi": charge.payment_intent_id,
            # Without a deadline the link is expired from the start.
            "until": int(charge.confirm_by.timestamp()) if charge.confirm_by else 0,
        }
    )


def confirm_link_path(charge: ScheduledCharge) -> str:
    return reverse("billing:payment-confirm", args=[confirm_link_token(charge)])


def confirm_link_charge(token: str, *, user, now: datetime | None = None) -> ScheduledCharge:
    """The installment a link is for, checked for ``user``; raises ConfirmLinkInvalid."""
    now = now or timezone.now()
    try:
        data = _signer().unsign_object(token)
        charge_id, intent_id = int(data["charge"]), str(data["pi"])
        until = datetime.fromtimestamp(int(data["until"]), tz=UTC)
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise ConfirmLinkInvalid(
            "This link is not valid. Please use the link from your email exactly as it is, "
            "or open “My program” in your account."
        ) from exc
    charge = (
        ScheduledCharge.objects.select_related("plan__order", "plan__product", "plan__user")
        .filter(pk=charge_id)
        .first()
    )
    if charge is None:
        raise ConfirmLinkInvalid("This link is not valid.", status=404)
    if charge.plan.user_id != user.pk:
        raise ConfirmLinkInvalid(
            "This link was sent to another account. Please sign out and sign in with the "
            "email address the message was sent to.",
            status=403,
        )
    waiting = (
        charge.status == ChargeStatus.AWAITING_CONFIRMATION
        and charge.payment_intent_id == intent_id
    )
    if not waiting:
        raise ConfirmLinkInvalid(_no_longer_waiting(charge), status=409, charge=charge)
    if now >= until:
        raise ConfirmLinkInvalid(
            f"This link has expired: the payment had to be confirmed by {long_date(until)}. "
            "Open “My program” in your account to see what you can do now.",
            status=410,
            charge=charge,
        )
    return charge


def _no_longer_waiting(charge: ScheduledCharge) -> str:
    if charge.status in (ChargeStatus.PAID, ChargeStatus.REFUNDED):
        return f"Nothing to confirm: payment {charge.sequence} has already been made. Thank you."
    if charge.status == ChargeStatus.CANCELLED:
        return f"Nothing to confirm: payment {charge.sequence} was cancelled."
    if charge.status == ChargeStatus.AWAITING_CONFIRMATION:
        return (
            "This link is for an earlier request. Please use the most recent email, or "
            "open “My program” in your account."
        )
    return (
        f"Payment {charge.sequence} no longer waits for your confirmation. "
        "Open “My program” in your account to see where it stands."
    )
