"""Which way emails leave (shop.emails.providers), one email sent (shop.emails.sending), and
an owed email sent in the background and kept as it left (shop.billing.emails)."""

import email as email_parser
import smtplib
import threading

import environ
import pytest
from anymail.message import AnymailStatus
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.utils import timezone
from oscar.core.loading import get_model

from shop.billing.emails import email_queue, email_send, emails_send_unsent
from shop.billing.models import OutgoingEmail
from shop.emails.models import OutboxMessage
from shop.emails.providers import ANYMAIL_PROVIDERS, email_settings_from_env
from shop.emails.sending import message_send

CommunicationEvent = get_model("order", "CommunicationEvent")
CommunicationEventType = get_model("communication", "CommunicationEventType")
Email = get_model("communication", "Email")


def reminder_queued(plan, *, key="reminder", **kwargs):
    """The reminder before the first payment, owed as the billing run owes it."""
    first = plan.charges.get(sequence=1)
    return email_queue(
        order=plan.order,
        plan=plan,
        code="TRIAL_REMINDER",
        key=key,
        extra={"charge": first, "quit_path": "/quit/"},
        **kwargs,
    )


def settings_for(**variables) -> dict:
    env = environ.Env()
    env.ENVIRON = variables
    return email_settings_from_env(env)


# Which provider


def test_the_outbox_is_the_default_and_keeps_everything():
    chosen = settings_for()
    assert chosen["EMAIL_PROVIDER"] == "outbox"
    assert chosen["EMAIL_BACKEND"] == "shop.emails.outbox.OutboxBackend"
    assert chosen["EMAIL_OUTBOX_FORWARD_BACKEND"] == ""
    assert chosen["ANYMAIL"] == {}


def test_console_prints():
    chosen = settings_for(EMAIL_PROVIDER="Console ")
    assert chosen["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_smtp_reads_its_server_from_the_email_url():
    chosen = settings_for(
        EMAIL_PROVIDER="smtp", EMAIL_URL="smtp+tls://user:pw@mail.example.com:587"
    )
    assert chosen["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (chosen["EMAIL_HOST"], chosen["EMAIL_PORT"]) == ("mail.example.com", 587)
    assert (chosen["EMAIL_HOST_USER"], chosen["EMAIL_HOST_PASSWORD"]) == ("user", "pw")
    assert chosen["EMAIL_USE_TLS"] is True


def test_a_site_that_named_only_its_mail_server_keeps_sending_through_it():
    chosen = settings_for(EMAIL_URL="smtp://mail.example.com:25")
    assert chosen["EMAIL_PROVIDER"] == "smtp"
    assert chosen["EMAIL_HOST"] == "mail.example.com"


def test_locally_smtp_may_write_files_as_email_url_says():
    chosen = settings_for(EMAIL_URL="filemail:////tmp/mails")
    assert chosen["EMAIL_PROVIDER"] == "smtp"
    assert chosen["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"


@pytest.mark.parametrize("provider", ["postmark", "amazon_ses", "mailgun", "sendgrid", "brevo"])
def test_a_provider_sends_through_its_anymail_backend(provider):
    chosen = settings_for(EMAIL_PROVIDER=provider)
    assert chosen["EMAIL_BACKEND"] == f"anymail.backends.{provider}.EmailBackend"


def test_every_named_provider_has_an_anymail_backend():
    import importlib

    for provider in ANYMAIL_PROVIDERS:
        module = importlib.import_module(f"anymail.backends.{provider}")
        assert hasattr(module, "EmailBackend"), provider


def test_provider_credentials_pass_through_from_the_environment():
    chosen = settings_for(
        EMAIL_PROVIDER="mailgun",
        ANYMAIL_MAILGUN_API_KEY="key-123",
        ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY="sign-456",
        ANYMAIL_WEBHOOK_SECRET="events:secret",
        ANYMAIL_AMAZON_SES_CLIENT_PARAMS='{"region_name": "eu-west-1"}',
        MAILGUN_API_KEY="not passed: no ANYMAIL_ prefix",
    )
    assert chosen["ANYMAIL"] == {
        "MAILGUN_API_KEY": "key-123",
        "MAILGUN_WEBHOOK_SIGNING_KEY": "sign-456",
        "WEBHOOK_SECRET": "events:secret",
        "AMAZON_SES_CLIENT_PARAMS": {"region_name": "eu-west-1"},
    }


def test_a_credential_that_looks_like_json_but_is_not_stops_the_start():
    with pytest.raises(ImproperlyConfigured, match="ANYMAIL_AMAZON_SES_CLIENT_PARAMS"):
        settings_for(ANYMAIL_AMAZON_SES_CLIENT_PARAMS="{region_name: eu}")


def test_an_unknown_provider_stops_the_start_naming_the_known_ones():
    with pytest.raises(ImproperlyConfigured) as refused:
        settings_for(EMAIL_PROVIDER="mailchimp")
    message = str(refused.value)
    assert "'mailchimp' is not a provider" in message
    for name in ("outbox", "console", "smtp", "postmark", "amazon_ses", "mailgun"):
        assert name in message


def test_the_outbox_never_forwards_to_itself():
    with pytest.raises(ImproperlyConfigured, match="names the outbox itself"):
        settings_for(EMAIL_OUTBOX_FORWARD_BACKEND="shop.emails.outbox.OutboxBackend")


# One email


@pytest.mark.django_db
def test_an_email_leaves_in_text_and_html_with_the_styles_written_in_and_our_message_id(
    settings,
):
    settings.SITE_URL = "https://shop.example.com"
    html = (
        "<html><head><style>p { color: #123456; }</style></head>"
        "<body><p>Your payment of $98.50</p></body></html>"
    )
    message_id = message_send(
        to="reader@example.com",
        subject="Your payment",
        body_text="Your payment of $98.50",
        body_html=html,
        headers={"X-Plan": "7"},
    )
    [sent] = mail.outbox
    assert sent.to == ["reader@example.com"]
    assert sent.from_email == settings.DEFAULT_FROM_EMAIL
    assert sent.body == "Your payment of $98.50"
    [(sent_html, mimetype)] = sent.alternatives
    assert mimetype == "text/html"
    assert 'style="color: #123456' in sent_html
    parsed = email_parser.message_from_bytes(sent.message().as_bytes())
    assert parsed["Message-ID"] == message_id
    assert message_id.endswith("@shop.example.com>")
    assert parsed["X-Plan"] == "7"
    # The outbox kept the same message under the same id.
    kept = OutboxMessage.objects.get()
    assert (kept.message_id, kept.to, kept.subject) == (
        message_id,
        "reader@example.com",
        "Your payment",
    )
    assert kept.body_html == sent_html


@pytest.mark.django_db
def test_a_text_only_email_has_no_html_part():
    message_send(to="reader@example.com", subject="Hello", body_text="Hello", body_html="")
    assert mail.outbox[0].alternatives == []


class ProviderStandIn(BaseEmailBackend):
    """A django-anymail backend's answer: the provider's own id on the message."""

    def send_messages(self, email_messages):
        for message in email_messages:
            status = AnymailStatus()
            status.set_recipient_status({})
            status.message_id = "provider-id-42"
            message.anymail_status = status
        return len(email_messages)


@pytest.mark.django_db
def test_the_id_returned_is_the_providers_when_it_names_one(settings):
    settings.EMAIL_BACKEND = f"{__name__}.ProviderStandIn"
    assert message_send(to="a@example.com", subject="S", body_text="T") == "provider-id-42"


class Refusing(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"No such user")})


@pytest.mark.django_db
def test_a_refused_email_raises(settings):
    settings.EMAIL_BACKEND = f"{__name__}.Refusing"
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        message_send(to="a@example.com", subject="S", body_text="T")


# Owed emails


@pytest.mark.django_db
def test_an_owed_email_is_sent_after_commit_by_the_background_task_and_kept_as_sent(
    make_fake_plan, django_capture_on_commit_callbacks
):
    plan = make_fake_plan()
    CommunicationEventType.objects.get_or_create(
        code="TRIAL_REMINDER", defaults={"name": "Program: the free tryout ends soon"}
    )
    mail.outbox.clear()
    OutboxMessage.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        email = reminder_queued(plan)
    # After the commit the task ran (on the immediate backend here, a worker in production).
    email.refresh_from_db()
    assert email.sent_at is not None and email.attempts == 1
    [sent] = mail.outbox
    assert sent.to == [plan.user.email] == [email.to_address]
    assert email.subject == sent.subject and email.subject
    assert email.body_text == sent.body and email.body_text
    # The HTML as it left, if the email has any (its template may be text only).
    assert email.body_html == "".join(content for content, _ in sent.alternatives)
    assert email.message_id == sent.extra_headers["Message-ID"]
    assert OutboxMessage.objects.get().message_id == email.message_id
    # Recorded as Oscar's dispatcher did: the order's communications, the customer's history.
    assert CommunicationEvent.objects.filter(
        order=plan.order, event_type__code="TRIAL_REMINDER"
    ).exists()
    history = Email.objects.get(user=plan.user, subject=email.subject)
    assert history.email == plan.user.email and history.body_html == email.body_html
    # Never twice: another try or a billing run finds it sent.
    assert email_send(email_id=email.pk) is False
    assert emails_send_unsent() == []
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_an_owed_email_waits_for_the_commit(make_fake_plan, django_capture_on_commit_callbacks):
    plan = make_fake_plan()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email = reminder_queued(plan)
        # The same key again is the same email, queued once.
        assert reminder_queued(plan) == email
    assert mail.outbox == [] and len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert email.sent_at is not None


@pytest.mark.django_db
def test_a_resend_goes_to_the_corrected_address(make_fake_plan, django_capture_on_commit_callbacks):
    plan = make_fake_plan()
    with django_capture_on_commit_callbacks(execute=True):
        first = reminder_queued(plan)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        again = reminder_queued(
            plan, key="reminder-resend-1", to_address="corrected@example.com", resend_of=first
        )
    first.refresh_from_db()
    again.refresh_from_db()
    assert [m.to for m in mail.outbox] == [["corrected@example.com"]]
    assert again.to_address == "corrected@example.com" and again.resend_of == first
    assert again.message_id and again.message_id != first.message_id


@pytest.mark.django_db
def test_an_email_whose_order_reaches_no_one_is_not_tried_again(
    make_fake_plan, django_capture_on_commit_callbacks
):
    plan = make_fake_plan()
    mail.outbox.clear()
    type(plan.user).objects.filter(pk=plan.user.pk).update(email="")
    with django_capture_on_commit_callbacks(execute=True):
        email = reminder_queued(plan)
    email.refresh_from_db()
    assert mail.outbox == []
    assert email.sent_at is not None and "no email address" in email.last_error
    assert not OutgoingEmail.objects.filter(sent_at__isnull=True).exists()


class HeldOpen(BaseEmailBackend):
    """A mail server that holds the first message until the test lets it go."""

    entered = threading.Event()
    release = threading.Event()
    sent: list = []

    def send_messages(self, email_messages):
        type(self).entered.set()
        assert type(self).release.wait(timeout=30), "never let go"
        type(self).sent.extend(email_messages)
        return len(email_messages)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_senders_of_the_same_email_at_once_send_it_once(make_fake_plan, settings):
    plan = make_fake_plan()
    settings.EMAIL_BACKEND = f"{__name__}.HeldOpen"
    HeldOpen.entered.clear()
    HeldOpen.release.clear()
    HeldOpen.sent.clear()
    owed = OutgoingEmail.objects.create(
        order=plan.order,
        plan=plan,
        code="TRIAL_REMINDER",
        key="race",
        context={"charge": {"__charge__": plan.charges.get(sequence=1).pk}, "quit_path": "/q/"},
        created_at=timezone.now(),
    )
    outcome = {}

    def first_sender():
        try:
            outcome["first"] = email_send(email_id=owed.pk)
        finally:
            connection.close()

    thread = threading.Thread(target=first_sender)
    thread.start()
    try:
        assert HeldOpen.entered.wait(timeout=30)
        # While the first sender is handing it to the server, a second (the billing run, the
        # task run again) finds it claimed and leaves it.
        assert email_send(email_id=owed.pk) is False
        assert emails_send_unsent() == []
    finally:
        HeldOpen.release.set()
        thread.join(timeout=30)
    assert outcome["first"] is True
    assert len(HeldOpen.sent) == 1
    owed.refresh_from_db()
    assert owed.sent_at is not None and owed.attempts == 1
    assert owed.message_id == HeldOpen.sent[0].extra_headers["Message-ID"]


@pytest.mark.django_db
def test_an_email_sent_but_not_recorded_in_oscars_history_is_not_sent_again(
    make_fake_plan, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    plan = make_fake_plan()
    mail.outbox.clear()

    def history_down(**kwargs):
        raise RuntimeError("history table locked")

    monkeypatch.setattr("shop.billing.emails._oscar_records_write", history_down)
    with django_capture_on_commit_callbacks(execute=True):
        owed = reminder_queued(plan)
    owed.refresh_from_db()
    assert owed.sent_at is not None and owed.last_error == ""
    assert "sent but not recorded" in caplog.text
    assert emails_send_unsent() == []
    assert len(mail.outbox) == 1
