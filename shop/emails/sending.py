"""Sending one email, in text and HTML, on the backend the settings name
(shop.emails.providers), with an id the provider's delivery events will name."""

from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from shop.emails.look import html_for_mail


def message_domain() -> str:
    """The site's host name, the right-hand part of our Message-IDs."""
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def message_build(
    *,
    to: str | list[str],
    subject: str,
    body_text: str,
    body_html: str = "",
    from_email: str | None = None,
    headers: dict | None = None,
) -> EmailMultiAlternatives:
    """The message as it will leave: the text, the HTML (its stylesheet written into each
    element) as an alternative when there is any, and a Message-ID of our own."""
    message = EmailMultiAlternatives(
        subject=subject,
        body=body_text,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=[to] if isinstance(to, str) else list(to),
        headers={**(headers or {}), "Message-ID": make_msgid(domain=message_domain())},
    )
    html = html_for_mail(body_html or "")
    if html:
        message.attach_alternative(html, "text/html")
    return message


def message_html(message: EmailMultiAlternatives) -> str:
    """The HTML the message carries, as sent ("" for a text-only message)."""
    return next(
        (str(content) for content, mimetype in message.alternatives if mimetype == "text/html"),
        "",
    )


def message_deliver(message: EmailMultiAlternatives) -> str:
    """Send a built message (raises when the backend refuses it) and return the id the
    provider's events will name: the provider's own for a django-anymail backend, else our
    Message-ID."""
    message.send(fail_silently=False)
    status = getattr(message, "anymail_status", None)
    provider_id = getattr(status, "message_id", None)
    if isinstance(provider_id, str) and provider_id:
        return provider_id
    return str(message.extra_headers["Message-ID"])


def message_send(
    *,
    to: str | list[str],
    subject: str,
    body_text: str,
    body_html: str = "",
    from_email: str | None = None,
    headers: dict | None = None,
) -> str:
    """Build and send one email now; returns the id its delivery events will name. Raises
    when the backend refuses it: the caller decides whether to try again."""
    message = message_build(
        to=to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        from_email=from_email,
        headers=headers,
    )
    return message_deliver(message)
