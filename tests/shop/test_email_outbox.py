"""The outbox (shop.emails.outbox): every email kept, then handed on; and its screen in the
back office (Shop → Outbox), where the author reads both bodies, the HTML under a policy that
lets it neither run nor fetch anything but images."""

import smtplib

import pytest
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives, send_mail
from django.core.mail.backends.base import BaseEmailBackend

from shop.emails.models import OutboxMessage
from shop.emails.sending import message_send

pytestmark = pytest.mark.django_db


def test_every_email_sent_in_tests_is_kept_and_still_reaches_the_memory_outbox():
    send_mail("Welcome", "Hello Robin", "shop@example.com", ["robin@example.com"])
    kept = OutboxMessage.objects.get()
    assert (kept.from_email, kept.to, kept.subject, kept.body_text, kept.body_html) == (
        "shop@example.com",
        "robin@example.com",
        "Welcome",
        "Hello Robin",
        "",
    )
    [sent] = mail.outbox
    # Both copies carry the same id, given once.
    assert kept.message_id and sent.extra_headers["Message-ID"] == kept.message_id


def test_both_bodies_and_every_recipient_are_kept():
    message = EmailMultiAlternatives(
        "Receipt", "Paid $98.50", "shop@example.com", ["a@example.com"], cc=["b@example.com"]
    )
    message.attach_alternative("<p>Paid <b>$98.50</b></p>", "text/html")
    message.send()
    html_only = EmailMessage("Only HTML", "<p>Hi</p>", "shop@example.com", ["c@example.com"])
    html_only.content_subtype = "html"
    html_only.send()
    receipt, only_html = OutboxMessage.objects.order_by("pk")
    assert receipt.to == "a@example.com, b@example.com"
    assert (receipt.body_text, receipt.body_html) == ("Paid $98.50", "<p>Paid <b>$98.50</b></p>")
    assert (only_html.body_text, only_html.body_html) == ("", "<p>Hi</p>")


def test_without_a_backend_to_hand_on_to_the_outbox_only_keeps(settings):
    settings.EMAIL_OUTBOX_FORWARD_BACKEND = ""
    assert send_mail("Kept", "Only kept", "shop@example.com", ["a@example.com"]) == 1
    assert OutboxMessage.objects.get().subject == "Kept"
    assert mail.outbox == []


class Refusing(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_an_email_the_next_backend_refuses_is_not_kept_and_the_failure_is_raised(settings):
    settings.EMAIL_OUTBOX_FORWARD_BACKEND = f"{__name__}.Refusing"
    with pytest.raises(smtplib.SMTPServerDisconnected):
        message_send(to="a@example.com", subject="Refused", body_text="T")
    assert not OutboxMessage.objects.exists()


# The screen


HTML = (
    "<html><head><style>p { color: #123456; }</style></head><body>"
    "<p>Your payment of $98.50</p><script>document.title = 'ran'</script>"
    '<img src="https://images.example.com/logo.png" alt="Logo"></body></html>'
)


@pytest.fixture
def kept():
    message_send(
        to="reader@example.com",
        subject="Your tryout ends soon",
        body_text="Your first payment of $98.50 is due on December 13, 2026.",
        body_html=HTML,
    )
    send_mail("Welcome aboard", "Hello", "shop@example.com", ["other@example.com"])
    return OutboxMessage.objects.get(subject="Your tryout ends soon")


def test_the_listing_shows_time_recipient_and_subject_and_is_searched(admin_client, kept):
    page = admin_client.get("/cms/outbox/")
    assert page.status_code == 200
    text = page.content.decode()
    for shown in ("reader@example.com", "Your tryout ends soon", "Welcome aboard"):
        assert shown in text
    assert f'href="/cms/outbox/{kept.pk}/"' in text
    assert "keeps nothing new" not in text
    by_address = admin_client.get("/cms/outbox/", {"q": "reader@"}).content.decode()
    assert "Your tryout ends soon" in by_address and "Welcome aboard" not in by_address
    by_subject = admin_client.get("/cms/outbox/", {"q": "welcome"}).content.decode()
    assert "Welcome aboard" in by_subject and "Your tryout ends soon" not in by_subject


def test_the_listing_says_when_a_provider_sends_the_emails(admin_client, settings, kept):
    settings.EMAIL_PROVIDER = "postmark"
    text = admin_client.get("/cms/outbox/").content.decode()
    assert "sent by the provider (postmark)" in text and "keeps nothing new" in text
    # What was kept before is still there to read.
    assert "Your tryout ends soon" in text


def test_an_email_shows_subject_from_to_time_text_and_its_html_in_a_sandboxed_frame(
    admin_client, kept
):
    page = admin_client.get(f"/cms/outbox/{kept.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    for shown in (
        "Your tryout ends soon",
        kept.from_email.replace("<", "&lt;").replace(">", "&gt;"),
        "reader@example.com",
        "Your first payment of $98.50 is due on December 13, 2026.",
    ):
        assert shown in text, shown
    assert f'<iframe sandbox src="/cms/outbox/{kept.pk}/html/"' in text
    # The back office may frame its own pages: the frame is allowed where it is shown.
    assert "frame-src 'self'" in page["Content-Security-Policy"]
    # No edit, add or delete: a record of what was sent.
    assert "/edit/" not in text and "/delete/" not in text
    assert admin_client.get(f"/cms/outbox/edit/{kept.pk}/").status_code == 404
    assert admin_client.get("/cms/outbox/new/").status_code == 404


def test_the_html_is_served_under_its_own_strict_policy(admin_client, kept):
    response = admin_client.get(f"/cms/outbox/{kept.pk}/html/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    # As sent: the styles written into the elements.
    body = response.content.decode()
    assert "Your payment of $98.50" in body and 'style="color: #123456' in body
    policy = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives["default-src"] == ["'none'"]
    assert directives["img-src"] == ["https:", "data:"]
    assert directives["style-src"] == ["'unsafe-inline'"]
    assert directives["frame-ancestors"] == ["'self'"]
    # Not the back office's policy, which lets its own inline scripts run.
    assert "script-src" not in directives
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_an_email_without_html_says_so(admin_client):
    send_mail("Plain", "Only text", "shop@example.com", ["a@example.com"])
    message = OutboxMessage.objects.get()
    text = admin_client.get(f"/cms/outbox/{message.pk}/").content.decode()
    assert "This email has no HTML version." in text and "<iframe" not in text


def test_the_shop_manager_reads_the_outbox_and_an_editor_does_not(
    client, shop_manager, editor, kept
):
    from tests.shop.test_back_office_roles import menu_names

    client.force_login(shop_manager)
    names = menu_names(client)
    assert names.index("outbox") > names.index("shop")
    for url in ("/cms/outbox/", f"/cms/outbox/{kept.pk}/", f"/cms/outbox/{kept.pk}/html/"):
        assert client.get(url).status_code == 200, url

    client.force_login(editor)
    assert "outbox" not in menu_names(client)
    for url in ("/cms/outbox/", f"/cms/outbox/{kept.pk}/"):
        assert client.get(url).status_code == 302, url
    # The HTML alone is no way round: it asks for the same permission.
    assert client.get(f"/cms/outbox/{kept.pk}/html/").status_code in (302, 403)
    assert "Your payment" not in client.get(f"/cms/outbox/{kept.pk}/html/").content.decode()


def test_nobody_signed_out_reads_an_email(client, kept):
    response = client.get(f"/cms/outbox/{kept.pk}/html/")
    assert response.status_code == 302 and "/cms/login/" in response["Location"]
