"""The author sends an email the customer did not get (it bounced, or went to a mistyped
address) again, to a corrected address, and may correct the customer's account with it.

The new email is one more owed email (``shop.billing.emails.email_queue``): the same order,
plan, kind and facts as the first, sent after commit through the same path, retried the same
way. It is recorded on the plan and points at the email it sends again."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from oscar.core.loading import get_model

from shop.billing.emails import email_queue
from shop.billing.models import InstallmentPlan, OutgoingEmail
from shop.billing.transitions import event_record
from shop.errors import RefusedWithMessage

CommunicationEventType = get_model("communication", "CommunicationEventType")

# The same address asked again this soon is the same request (a form sent twice).
SAME_REQUEST_WITHIN = timedelta(minutes=1)
KEY_MAX: int = OutgoingEmail._meta.get_field("key").max_length or 100


@dataclass(frozen=True)
class EmailResent:
    email: OutgoingEmail
    # False when the same address was asked a moment ago: that email is the answer.
    created: bool
    account_updated: bool

    @property
    def message(self) -> str:
        said = f"The email was sent again to {self.email.to_address}."
        if self.account_updated:
            said += " The customer's account now uses this address."
        return said


def email_address_cleaned(value: str) -> str:
    """``value`` as an address to send to (the domain in lower case), or a refusal that
    says what is wrong."""
    address = BaseUserManager.normalize_email((value or "").strip())
    if not address:
        raise RefusedWithMessage("Enter the address to send the email to.")
    try:
        validate_email(address)
    except ValidationError:
        raise RefusedWithMessage(
            f"“{address}” is not an email address. Enter one like name@example.com."
        ) from None
    return address


def email_name(code: str) -> str:
    """The email's name as the author knows it (Communications), else its code."""
    return (
        CommunicationEventType.objects.filter(code=code).values_list("name", flat=True).first()
        or code
    )


def email_plan(email: OutgoingEmail) -> InstallmentPlan | None:
    """The plan an email belongs to: its own, or its order's (the order's receipt has none)."""
    if email.plan_id is not None:
        return email.plan
    return InstallmentPlan.objects.filter(order_id=email.order_id).first()


def account_address_taken(*, user, address: str) -> bool:
    """Whether another account already uses ``address`` (in any letter case)."""
    return get_user_model().objects.filter(email__iexact=address).exclude(pk=user.pk).exists()


def _resend_key(root: OutgoingEmail, number: int) -> str:
    key = f"{root.key}:resend:{number}"
    # A long key of its own would not fit: the email's id is as unique within the order.
    return key if len(key) <= KEY_MAX else f"email-{root.pk}:resend:{number}"


def email_resend(
    *,
    email_id: int,
    to_address: str,
    actor,
    update_account: bool = False,
    now: datetime | None = None,
) -> EmailResent:
    """Send the sent email ``email_id`` again to ``to_address``; with ``update_account``,
    the customer's account takes the address too (refused, and nothing done, when another
    account has it). The same address asked again within a minute returns that email
    instead of a second one. Records a plan event with ``actor``."""
    address = email_address_cleaned(to_address)
    now = now or timezone.now()
    with transaction.atomic():
        # Locked: two submits of the form at once are told apart here, one after the other.
        try:
            original = (
                OutgoingEmail.objects.select_for_update(of=("self",))
                .select_related("order__user", "plan")
                .get(pk=email_id)
            )
        except OutgoingEmail.DoesNotExist:
            raise RefusedWithMessage("This email does not exist.") from None
        if original.sent_at is None:
            raise RefusedWithMessage(
                "This email has not been sent yet: it goes out on its own as soon as the mail "
                "server takes it."
            )
        # Sending a resend again starts from the first email: one line of resends each.
        root: OutgoingEmail = original.resend_of or original
        recent = (
            OutgoingEmail.objects.filter(
                resend_of=root,
                to_address__iexact=address,
                created_at__gte=now - SAME_REQUEST_WITHIN,
            )
            .order_by("-created_at")
            .first()
        )
        if recent is not None:
            return EmailResent(recent, created=False, account_updated=False)

        plan = email_plan(root)
        user = root.order.user
        account_updated = False
        if update_account and user is not None and user.email.lower() != address.lower():
            user = get_user_model().objects.select_for_update().get(pk=user.pk)
            if account_address_taken(user=user, address=address):
                raise RefusedWithMessage(
                    f"Another account already uses {address}, so the customer's account "
                    f"keeps {user.email}. Send the email without changing the account, or "
                    "correct the other account first."
                )
            previous = user.email
            # The emails already sent went to the old address: written down before the
            # account forgets it, so the plan's page keeps saying where each one went.
            OutgoingEmail.objects.filter(
                order__user=user, to_address="", sent_at__isnull=False
            ).update(to_address=previous)
            user.email = address
            user.save(update_fields=["email"])
            account_updated = True

        number = OutgoingEmail.objects.filter(resend_of=root).count() + 1
        resent = email_queue(
            order=root.order,
            code=root.code,
            key=_resend_key(root, number),
            plan=root.plan,
            extra=dict(root.context),
            to_address=address,
            resend_of=root,
        )
        if plan is not None:
            note = f"Email “{email_name(root.code)}” sent again to {address}"
            if account_updated:
                note += f"; the account's address changed from {previous}"
            event_record(
                plan=plan,
                kind="email_sent_again",
                actor=actor,
                actor_label="author",
                note=note[:500],
                data={"email_id": root.pk, "resend_id": resent.pk, "to": address},
            )
    return EmailResent(resent, created=True, account_updated=account_updated)
