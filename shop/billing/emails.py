"""Emails about an order or its plan, as Oscar communication events so the author can edit
their texts in the dashboard (Communications).

Every email the shop owes is first written down (``OutgoingEmail``) in the same transaction
as the change it tells of; once that commits, a background task (shop.billing.tasks) sends it
through shop.emails.sending and marks it sent, keeping the message as sent and the id the
provider's delivery events name. A mail server that is down never undoes what happened and
never loses the email: the failure is logged, and the billing run sends what is still unsent,
once. (Should the process die between handing an email to the mail server and marking it
sent, that one email can go twice: sent twice is better than never.)
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from oscar.core.loading import get_class, get_model

from shop.billing.models import OutgoingEmail, ScheduledCharge
from shop.emails.sending import message_build, message_deliver, message_html

logger = logging.getLogger(__name__)

OrderDispatcher = get_class("order.utils", "OrderDispatcher")
CommunicationEventType = get_model("communication", "CommunicationEventType")
CommunicationEvent = get_model("order", "CommunicationEvent")
Email = get_model("communication", "Email")

ORDER_PLACED = "ORDER_PLACED"
# A send under way is left alone this long before another run may take it over.
SEND_LEASE = timedelta(minutes=5)
# Waits between tries after a failure: 1, 2, 4... minutes, at most a few hours.
RETRY_WAIT_MAX = timedelta(hours=3)


class NoAddress(Exception):
    """The order reaches no one: no account with an address, no guest address."""


@dataclass(frozen=True)
class SentMessage:
    to_address: str
    subject: str
    body_text: str
    body_html: str
    message_id: str


def _customer_address(order) -> str:
    if order.user_id is not None:
        return order.user.email or ""
    return order.guest_email or ""


def _deliver(*, order, code: str, context: dict, to_address: str = "") -> SentMessage:
    """Render the message for ``code`` with the author's texts and send it now to
    ``to_address`` or the order's customer. Raises when it cannot be sent."""
    to = to_address or _customer_address(order)
    if not to:
        raise NoAddress(f"Order {order.number} has no email address to send to")
    messages = OrderDispatcher(logger=logger).dispatcher.get_messages(code, context)
    if not messages["subject"] or not (messages["body"] or messages["html"]):
        raise ValueError(f"The email {code} has no subject or no text: see Plan emails")
    message = message_build(
        to=to,
        subject=messages["subject"],
        body_text=messages["body"],
        body_html=messages["html"],
    )
    message_id = message_deliver(message)
    sent = SentMessage(
        to_address=to,
        subject=str(message.subject),
        body_text=str(message.body),
        body_html=message_html(message),
        message_id=message_id,
    )
    return sent


def _record_as_oscar_does(*, order, code: str, sent: SentMessage) -> None:
    """The order's communications in the dashboard and the customer's email history in their
    account read these rows, as they did when Oscar's dispatcher sent the emails. Written
    after the email is marked sent: a failure here must not make it go again."""
    try:
        _oscar_records_write(order=order, code=code, sent=sent)
    except Exception:
        logger.exception("Email %s for order %s sent but not recorded", code, order.number)


def _oscar_records_write(*, order, code: str, sent: SentMessage) -> None:
    event_type = CommunicationEventType.objects.filter(code=code).first()
    if event_type is not None:
        CommunicationEvent.objects.create(order=order, event_type=event_type)
    # Oscar's setting (True by its defaults), read as its dispatcher reads it.
    if getattr(settings, "OSCAR_SAVE_SENT_EMAILS_TO_DB", True) and order.user_id is not None:
        Email.objects.create(
            user=order.user,
            email=sent.to_address,
            subject=sent.subject,
            body_text=sent.body_text,
            body_html=sent.body_html,
        )


def plan_email_send(*, plan, code: str, extra: dict | None = None) -> None:
    """Send the plan's customer the message for ``code`` now (e.g. TRIAL_QUIT), without
    keeping it for a retry: a failure is only logged."""
    order = plan.order
    context = {"order": order, "plan": plan, "user": plan.user, **(extra or {})}
    try:
        sent = _deliver(order=order, code=code, context=context)
    except Exception:
        logger.exception("Email %s for order %s could not be sent", code, order.number)
        return
    _record_as_oscar_does(order=order, code=code, sent=sent)


# What an email's context may hold, kept as JSON until it is sent.


def _stored(value):
    if isinstance(value, ScheduledCharge):
        return {"__charge__": value.pk}
    if isinstance(value, datetime):
        return {"__datetime__": value.isoformat()}
    return value


def _loaded(value):
    if isinstance(value, dict) and "__charge__" in value:
        return ScheduledCharge.objects.get(pk=value["__charge__"])
    if isinstance(value, dict) and "__datetime__" in value:
        return datetime.fromisoformat(value["__datetime__"])
    return value


def email_queue(
    *,
    order,
    code: str,
    key: str,
    plan=None,
    extra: dict | None = None,
    to_address: str = "",
    resend_of: OutgoingEmail | None = None,
) -> OutgoingEmail:
    """Write down an email owed for ``order`` (once per ``key``) and queue its sending for
    when the caller's transaction commits (shop.billing.tasks.email_send_task): to
    ``to_address`` when given (a resend to a corrected address), else to the order's
    customer."""
    email, created = OutgoingEmail.objects.get_or_create(
        order=order,
        code=code,
        key=key,
        defaults={
            "plan": plan,
            "context": {name: _stored(value) for name, value in (extra or {}).items()},
            "created_at": timezone.now(),
            "to_address": to_address,
            "resend_of": resend_of,
        },
    )
    if created:
        transaction.on_commit(lambda: _send_in_background(email_id=email.pk), robust=True)
    return email


def _send_in_background(*, email_id: int) -> None:
    # Imported here: the task calls this module's services, never the reverse at import.
    from shop.billing.tasks import email_send_task

    email_send_task.enqueue(email_id=email_id)


def _context(email: OutgoingEmail) -> dict:
    order = email.order
    context = {"order": order, "user": order.user}
    if email.plan_id is not None:
        context["plan"] = email.plan
    if email.code == ORDER_PLACED:
        context["lines"] = order.lines.all()
    context.update({name: _loaded(value) for name, value in email.context.items()})
    return context


def email_send(*, email_id: int, now: datetime | None = None) -> bool:
    """Send one owed email unless it is sent, being sent, or waiting after a failure;
    True when this call sent it. A failure is logged and tried again later."""
    now = now or timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    # Claimed by a conditional UPDATE: the sender after commit and a billing run, or two
    # runs, never both send it.
    claimed = OutgoingEmail.objects.filter(due, pk=email_id, sent_at__isnull=True).update(
        next_attempt_at=now + SEND_LEASE, attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    # The plan's customer and product too: the messages name them.
    email = OutgoingEmail.objects.select_related(
        "order", "order__user", "plan", "plan__user", "plan__product"
    ).get(pk=email_id)
    try:
        sent = _deliver(
            order=email.order,
            code=email.code,
            context=_context(email),
            to_address=email.to_address,
        )
    except NoAddress as exc:
        # Nobody to send it to (the account was deleted): done with, never tried again.
        logger.warning("Email %s (%s) not sent: %s", email.pk, email.code, exc)
        OutgoingEmail.objects.filter(pk=email.pk).update(
            sent_at=timezone.now(), next_attempt_at=None, last_error=f"Not sent: {exc}"[:500]
        )
        return False
    except Exception as exc:
        wait = min(timedelta(minutes=2 ** (email.attempts - 1)), RETRY_WAIT_MAX)
        logger.exception(
            "Email %s (%s) for order %s%s could not be sent (try %s); tried again after %s",
            email.pk,
            email.code,
            email.order.number,
            f", plan {email.plan_id}" if email.plan_id else "",
            email.attempts,
            now + wait,
        )
        OutgoingEmail.objects.filter(pk=email.pk).update(
            next_attempt_at=now + wait, last_error=f"{type(exc).__name__}: {exc}"[:500]
        )
        return False
    # Marked sent with the message as it left, in one UPDATE.
    OutgoingEmail.objects.filter(pk=email.pk).update(
        sent_at=timezone.now(),
        next_attempt_at=None,
        last_error="",
        to_address=sent.to_address,
        subject=sent.subject[:998],
        body_text=sent.body_text,
        body_html=sent.body_html,
        message_id=sent.message_id[:255],
    )
    _record_as_oscar_does(order=email.order, code=email.code, sent=sent)
    return True


def emails_unsent(*, now: datetime):
    """Owed emails whose time to be tried has come."""
    return OutgoingEmail.objects.filter(sent_at__isnull=True).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def emails_send_unsent(*, now: datetime | None = None) -> list[int]:
    """Try each owed email whose time has come; the ids of those sent."""
    now = now or timezone.now()
    return [
        email_id
        for email_id in list(emails_unsent(now=now).order_by("pk").values_list("pk", flat=True))
        if email_send(email_id=email_id, now=now)
    ]
