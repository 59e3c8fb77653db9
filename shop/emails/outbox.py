"""The outbox: an email backend that keeps every message it is given (``OutboxMessage``), so
the author reads in the back office (Shop → Outbox) what customers would get, and then hands
it to ``EMAIL_OUTBOX_FORWARD_BACKEND`` when one is named (the console locally, Django's memory
backend in tests)."""

from email.utils import make_msgid

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend

from shop.emails.models import OutboxMessage
from shop.emails.sending import message_domain

MESSAGE_ID = "Message-ID"


def _message_id(message) -> str:
    """The message's own Message-ID, given one now when it has none, so the copy kept and the
    copy handed on carry the same id."""
    for name, value in message.extra_headers.items():
        if name.lower() == MESSAGE_ID.lower():
            return str(value)
    message_id = make_msgid(domain=message_domain())
    message.extra_headers[MESSAGE_ID] = message_id
    return message_id


def _bodies(message) -> tuple[str, str]:
    """(text, HTML) of a message: its body by its type, and an HTML alternative if any."""
    text, html = "", ""
    if message.content_subtype == "html":
        html = message.body
    else:
        text = message.body
    for content, mimetype in getattr(message, "alternatives", []):
        if mimetype == "text/html" and not html:
            html = content
    return str(text), str(html)


def outbox_message_from(message) -> OutboxMessage:
    """The row that keeps ``message`` (not saved)."""
    text, html = _bodies(message)
    return OutboxMessage(
        message_id=_message_id(message)[:255],
        from_email=str(message.from_email)[:320],
        to=", ".join(message.recipients())[:1000],
        subject=str(message.subject)[:998],
        body_text=text,
        body_html=html,
    )


class OutboxBackend(BaseEmailBackend):
    """Keeps each message, then hands them on. A message the next backend refuses is not kept
    (it did not leave), and the failure is raised as that backend raised it."""

    def send_messages(self, email_messages):
        messages = [message for message in email_messages if message.recipients()]
        if not messages:
            return 0
        kept = OutboxMessage.objects.bulk_create([outbox_message_from(m) for m in messages])
        forward = getattr(settings, "EMAIL_OUTBOX_FORWARD_BACKEND", "")
        if not forward:
            return len(messages)
        try:
            get_connection(forward, fail_silently=self.fail_silently).send_messages(messages)
        except Exception:
            OutboxMessage.objects.filter(pk__in=[row.pk for row in kept]).delete()
            raise
        return len(messages)
