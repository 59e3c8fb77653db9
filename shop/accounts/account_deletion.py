"""Deleting an account at the customer's request.

What the law and the books require stays, without the person: orders and the terms agreed
at checkout are kept (accounting, disputes) but no longer name or reach anyone. Plans stop
first, through the plans' own moves, so no payment can ever be taken afterwards. The user
row itself is kept, emptied and deactivated, because plans and the Stripe customer record
point at it; nothing in it identifies the person any more.

Plans are stopped one by one (each move commits alone, as it talks to Stripe for a payment
waiting for confirmation); everything else happens in one transaction. A failure midway
leaves the account as it was, with its plans stopped, and a second try finishes the work."""

import logging
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.db import transaction
from django.utils import timezone
from oscar.core.loading import get_class, get_model

from shop.billing import transitions
from shop.billing.actions import plan_payments_cancel
from shop.billing.models import (
    ChargeStatus,
    InstallmentPlan,
    PlanStatus,
    ScheduledCharge,
    TrialConsent,
)
from shop.downloads.models import DownloadGrant, DownloadLog, PlaybackPosition
from shop.errors import RefusedWithMessage

logger = logging.getLogger(__name__)

Order = get_model("order", "Order")
ShippingAddress = get_model("order", "ShippingAddress")
BillingAddress = get_model("order", "BillingAddress")
Email = get_model("communication", "Email")
Notification = get_model("communication", "Notification")
UserAddress = get_model("address", "UserAddress")
ProductAlert = get_model("customer", "ProductAlert")
WishList = get_model("wishlists", "WishList")
UserSearch = get_model("analytics", "UserSearch")
UserRecord = get_model("analytics", "UserRecord")
UserProductView = get_model("analytics", "UserProductView")
Dispatcher = get_class("communication.utils", "Dispatcher")

ACCOUNT_DELETED_EMAIL = "ACCOUNT_DELETED"
GRANT_REVOKED_REASON = "The account was deleted."
# Plans whose remaining payments are cancelled (a tryout is quit instead).
RUNNING = (PlanStatus.INSTALLMENT_PAID, PlanStatus.PAYMENT_FAILED, PlanStatus.CONFIRMATION_NEEDED)
STILL_CHARGEABLE = (
    ChargeStatus.SCHEDULED,
    ChargeStatus.FAILED,
    ChargeStatus.AWAITING_CONFIRMATION,
    ChargeStatus.PROCESSING,
)


class AccountDeletionRefused(RefusedWithMessage):
    """The account cannot be deleted right now; ``user_message`` says why."""


def account_is_deleted(*, user) -> bool:
    """True once the account was deleted (deactivated and emptied)."""
    return not user.is_active and not user.email and not user.has_usable_password()


def _payment_in_progress_refusal(user) -> None:
    if ScheduledCharge.objects.filter(plan__user=user, status=ChargeStatus.PROCESSING).exists():
        raise AccountDeletionRefused(
            "A payment is being taken right now. Please try again in a few minutes."
        )


def _plans_stop(*, user, now) -> None:
    """Quit each tryout and cancel each running plan's remaining payments."""
    for plan in InstallmentPlan.objects.filter(user=user).order_by("pk"):
        try:
            if plan.status == PlanStatus.TRIALING:
                transitions.trial_quit(plan_id=plan.pk, actor=user, now=now)
            elif plan.status in RUNNING:
                plan_payments_cancel(plan_id=plan.pk, actor=user, now=now)
        except transitions.MoveRefused as exc:
            if plan.status == PlanStatus.TRIALING:
                raise AccountDeletionRefused(
                    "Your free tryout has just ended and its first payment is due now. "
                    "Please try again in an hour; the remaining payment will then be cancelled."
                ) from exc
            raise AccountDeletionRefused(exc.user_message) from exc


def _sessions_end(*, user) -> int:
    """Delete every stored session signed in as ``user``; returns how many."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):
        # Sessions not kept in the database end at their next request: the password
        # hash they carry no longer matches and the account is inactive.
        return 0
    model = store.get_model_class()
    ended = []
    for session in model.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get(SESSION_KEY) == str(user.pk):
            ended.append(session.pk)
    model.objects.filter(pk__in=ended).delete()
    return len(ended)


def _orders_anonymise(*, user) -> None:
    orders = Order.objects.filter(user=user)
    address_fields = {
        "title": "",
        "first_name": "",
        "last_name": "",
        "line1": "",
        "line2": "",
        "line3": "",
        "line4": "",
        "state": "",
        "postcode": "",
        "search_text": "",
    }
    ShippingAddress.objects.filter(order__in=orders).update(
        **address_fields, phone_number="", notes=""
    )
    BillingAddress.objects.filter(order__in=orders).update(**address_fields)
    TrialConsent.objects.filter(order__in=orders).update(ip_address=None, user_agent="")
    # The order stays for the books; it reaches no one (no account, no address).
    orders.update(user=None, guest_email="")


def _confirmation_send(*, email: str, first_name: str) -> None:
    try:
        dispatcher = Dispatcher(logger=logger)
        messages = dispatcher.get_messages(
            ACCOUNT_DELETED_EMAIL, {"first_name": first_name, "email": email}
        )
        dispatcher.dispatch_direct_messages(email, messages)
    except Exception:
        logger.exception("The account-deleted email could not be sent")


def account_delete(*, user_id: int, password: str, now=None) -> bool:
    """Delete the customer's account after checking ``password``. Returns True when it was
    deleted now, False when it already was (a second submit changes nothing).

    Raises ``AccountDeletionRefused`` for a wrong password, a payment being taken right
    now, or a plan that cannot be stopped yet; nothing is deleted then."""
    now = now or timezone.now()
    User = get_user_model()
    user = User.objects.get(pk=user_id)
    if account_is_deleted(user=user):
        return False
    if not user.check_password(password):
        raise AccountDeletionRefused("That password is not right. Your account was not deleted.")
    _payment_in_progress_refusal(user)
    _plans_stop(user=user, now=now)

    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        if account_is_deleted(user=user):
            return False  # another request deleted it meanwhile
        if ScheduledCharge.objects.filter(plan__user=user, status__in=STILL_CHARGEABLE).exists():
            raise AccountDeletionRefused(
                "A payment of your plan could not be stopped just now. "
                "Please try again in a few minutes."
            )
        email, first_name = user.email, user.first_name

        _orders_anonymise(user=user)
        DownloadGrant.objects.filter(user=user).update(
            ends_at=now, ended_reason=GRANT_REVOKED_REASON, ended_by_plan=False
        )
        DownloadLog.objects.filter(user=user).update(ip_address=None, user_agent="")
        for model, field in (
            (Email, "user"),
            (Notification, "recipient"),
            (UserAddress, "user"),
            (ProductAlert, "user"),
            (WishList, "owner"),
            (UserSearch, "user"),
            (UserRecord, "user"),
            (UserProductView, "user"),
            (PlaybackPosition, "user"),
        ):
            model.objects.filter(**{field: user}).delete()

        user.username = f"deleted-{user.pk}"
        user.first_name = ""
        user.last_name = ""
        user.email = ""
        user.is_active = False
        user.is_staff = False
        user.is_superuser = False
        user.set_unusable_password()
        user.save()
        _sessions_end(user=user)

        if email:
            transaction.on_commit(lambda: _confirmation_send(email=email, first_name=first_name))
    return True
