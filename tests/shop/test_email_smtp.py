"""An owed email delivered through a real SMTP server on loopback (aiosmtpd) by Django's SMTP
backend, as EMAIL_PROVIDER=smtp sends it; and the server down, then back."""

import email
from datetime import timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from shop.billing.emails import email_queue, emails_send_unsent
from shop.billing.models import OutgoingEmail

pytestmark = pytest.mark.django_db

# This file's own ports (8700-8709): one for the server that answers, one for the server that
# is down at first.
SMTP_PORT = 8700
SMTP_PORT_DOWN_AT_FIRST = 8701


class Received:
    """aiosmtpd's handler: each message as it arrived, with its envelope."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        return [
            email.message_from_bytes(envelope.original_content, policy=policy.default)
            for envelope in self.envelopes
        ]


def smtp_server(port: int) -> tuple[Controller, Received]:
    received = Received()
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, received


@pytest.fixture
def through_smtp(settings):
    """The settings EMAIL_PROVIDER=smtp with EMAIL_URL=smtp://127.0.0.1:<port> gives."""

    def use(port: int):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5

    return use


def reminder_owed(plan, capture):
    """The reminder before the first payment, owed as the billing run owes it, sent after
    the commit by the background task."""
    with capture(execute=True):
        return email_queue(
            order=plan.order,
            plan=plan,
            code="TRIAL_REMINDER",
            key="reminder-smtp",
            extra={"charge": plan.charges.get(sequence=1), "quit_path": "/quit/"},
        )


def unix_lines(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


def confirmation_owed(plan, capture):
    """The order's confirmation (text and HTML), owed as the checkout owes it."""
    with capture(execute=True):
        return email_queue(
            order=plan.order, code="ORDER_PLACED", key="placed-smtp", extra={"quit_path": "/q/"}
        )


def test_an_order_email_arrives_at_the_smtp_server_as_text_and_html_with_its_stored_id(
    make_fake_plan, through_smtp, django_capture_on_commit_callbacks
):
    plan = make_fake_plan()
    through_smtp(SMTP_PORT)
    controller, received = smtp_server(SMTP_PORT)
    try:
        owed = confirmation_owed(plan, django_capture_on_commit_callbacks)
    finally:
        controller.stop()
    owed.refresh_from_db()
    assert owed.sent_at is not None and owed.last_error == ""

    [envelope] = received.envelopes
    assert envelope.rcpt_tos == [plan.user.email]
    [message] = received.messages()
    assert message["To"] == plan.user.email
    assert message["Subject"] == owed.subject and owed.subject
    assert message["Message-ID"] == owed.message_id
    # One message in two versions: the text and the HTML.
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    # As stored, but for the line endings SMTP carries (CRLF).
    assert unix_lines(text) == unix_lines(owed.body_text)
    assert unix_lines(html) == unix_lines(owed.body_html)
    assert str(plan.order.number) in text and str(plan.order.number) in html


def test_a_server_that_is_down_leaves_the_email_waiting_and_the_next_run_sends_it_once(
    make_fake_plan, through_smtp, django_capture_on_commit_callbacks
):
    plan = make_fake_plan()
    through_smtp(SMTP_PORT_DOWN_AT_FIRST)
    # Nothing listens yet: the connection is refused.
    owed = reminder_owed(plan, django_capture_on_commit_callbacks)
    owed.refresh_from_db()
    assert owed.sent_at is None and owed.attempts == 1
    assert "ConnectionRefusedError" in owed.last_error
    assert owed.next_attempt_at is not None and owed.message_id == ""

    controller, received = smtp_server(SMTP_PORT_DOWN_AT_FIRST)
    try:
        later = timezone.now() + timedelta(minutes=5)
        assert emails_send_unsent(now=later) == [owed.pk]
        assert emails_send_unsent(now=later + timedelta(hours=1)) == []
    finally:
        controller.stop()
    owed.refresh_from_db()
    assert owed.sent_at is not None and owed.attempts == 2 and owed.last_error == ""
    [message] = received.messages()
    assert message["Message-ID"] == owed.message_id
    assert [e.rcpt_tos for e in received.envelopes] == [[plan.user.email]]
    assert not OutgoingEmail.objects.filter(sent_at__isnull=True).exists()
