"""What happens when a reader sends a form: the rate limit, storing, and the email to the author.

A submission is stored first and emailed only after its transaction commits; a mail server
that is down is logged and never costs the reader their message (it stays in the CMS's
submissions list).
"""

import logging
from functools import partial

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from wagtail.admin.mail import send_mail
from wagtail.contrib.forms.models import AbstractFormSubmission

from web.client_address import client_ip

logger = logging.getLogger(__name__)


def request_client_ip(request) -> str:
    """The visitor's address (``web.client_address``), "unknown" when the server had none."""
    return client_ip(request) or "unknown"


def rate_limit_spend(*, page_id: int, client_ip: str) -> bool:
    """Count one submission from ``client_ip`` to the page; False once over the limit.

    The count lives in Django's cache, so with Redis every web process shares it. The window
    starts at the first submission and is not extended by later ones.
    """
    key = f"form-rate:{page_id}:{client_ip}"
    cache.add(key, 0, timeout=settings.FORM_RATE_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:
        # The window ended between add() and incr(): this submission opens a new one.
        cache.set(key, 1, timeout=settings.FORM_RATE_WINDOW_SECONDS)
        count = 1
    return count <= settings.FORM_RATE_LIMIT


def submission_store(*, page, form: forms.Form) -> AbstractFormSubmission:
    """Keep a valid submission and email it to the page's ``to_address`` once it is saved."""
    with transaction.atomic():
        submission = page.get_submission_class().objects.create(
            form_data=form.cleaned_data, page=page
        )
        if page.to_address:
            transaction.on_commit(
                partial(
                    submission_email_send,
                    page=page,
                    submission_id=submission.pk,
                    body=page.render_email(form),
                    reply_to=_reader_email(form),
                )
            )
    return submission


def submission_email_send(
    *, page, submission_id: int, body: str, reply_to: str | None = None
) -> bool:
    """Email a stored submission to the author; log and return False if the mail fails."""
    addresses = [address.strip() for address in page.to_address.split(",") if address.strip()]
    subject = page.subject or f"New message from the page “{page.title}”"
    link = settings.WAGTAILADMIN_BASE_URL + reverse("wagtailforms:list_submissions", args=[page.pk])
    body = f"{body}\n\nAll submissions to this page: {link}"
    try:
        send_mail(
            subject,
            body,
            addresses,
            page.from_address or None,
            reply_to=[reply_to] if reply_to else None,
        )
    except Exception:
        # The submission is already stored; the author still finds it in the CMS.
        logger.exception(
            "Form submission %s to page %s could not be emailed to %s",
            submission_id,
            page.pk,
            ", ".join(addresses),
        )
        return False
    return True


def _reader_email(form: forms.Form) -> str | None:
    """The reader's own address, if the form asked for one, so the author can simply reply."""
    for name, field in form.fields.items():
        if isinstance(field, forms.EmailField) and form.cleaned_data.get(name):
            return form.cleaned_data[name]
    return None
