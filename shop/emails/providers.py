"""Which way the site's emails leave, chosen by ``EMAIL_PROVIDER``, read once at start-up by
the settings (like ``media_config.settings.storages_from_env``).

- ``outbox`` (the default, unless ``EMAIL_URL`` is set: then ``smtp``): every email is kept
  in the database and shown in the back office (Shop → Outbox); nothing leaves unless
  ``EMAIL_OUTBOX_FORWARD_BACKEND`` names a backend to hand it on to (the console locally,
  Django's memory backend in tests).
- ``console``: printed on the console.
- ``smtp``: the mail server ``EMAIL_URL`` names (``smtp+tls://user:password@host:587``; locally
  also ``filemail://`` or ``consolemail://``).
- an email provider django-anymail speaks to (``postmark``, ``amazon_ses``, ``mailgun``...):
  its credentials and webhook secret come from ``ANYMAIL_*`` variables, each passed on as
  ``ANYMAIL["<NAME>"]`` (``ANYMAIL_POSTMARK_SERVER_TOKEN`` → ``ANYMAIL["POSTMARK_SERVER_TOKEN"]``).

Imported by the settings: nothing here may need Django's apps to be loaded.
"""

import json
from collections.abc import Mapping

import environ
from django.core.exceptions import ImproperlyConfigured

OUTBOX = "outbox"
CONSOLE = "console"
SMTP = "smtp"
OUTBOX_BACKEND = "shop.emails.outbox.OutboxBackend"
CONSOLE_BACKEND = "django.core.mail.backends.console.EmailBackend"
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# The providers django-anymail 15 sends through, by the name of their backend module.
ANYMAIL_PROVIDERS = (
    "amazon_ses",
    "brevo",
    "mailersend",
    "mailgun",
    "mailjet",
    "mailtrap",
    "mandrill",
    "postal",
    "postmark",
    "resend",
    "scaleway",
    "sendgrid",
    "sparkpost",
    "unisender_go",
)
PROVIDERS = (OUTBOX, CONSOLE, SMTP, *ANYMAIL_PROVIDERS)
# Providers that keep or print the emails instead of sending them.
LOCAL_PROVIDERS = (OUTBOX, CONSOLE)
ANYMAIL_PREFIX = "ANYMAIL_"


def anymail_from_environ(environ_vars: Mapping[str, str]) -> dict:
    """``ANYMAIL`` from every ``ANYMAIL_<NAME>`` variable; a value written as a JSON object
    (e.g. ``ANYMAIL_AMAZON_SES_CLIENT_PARAMS``) is read as one."""
    anymail = {}
    for name, value in sorted(environ_vars.items()):
        if not name.startswith(ANYMAIL_PREFIX) or name == ANYMAIL_PREFIX:
            continue
        if value.lstrip().startswith("{"):
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise ImproperlyConfigured(f"{name} starts like JSON but is not: {exc}") from exc
        anymail[name.removeprefix(ANYMAIL_PREFIX)] = value
    return anymail


def email_settings_from_env(env: environ.Env, *, default_provider: str = OUTBOX) -> dict:
    """``EMAIL_PROVIDER``, ``EMAIL_BACKEND``, ``ANYMAIL``, ``EMAIL_OUTBOX_FORWARD_BACKEND`` and,
    for ``smtp``, the server settings from ``EMAIL_URL``. An unknown provider stops the start
    with the list of known ones."""
    # A site that named only its mail server (EMAIL_URL, as before providers) keeps sending
    # through it.
    if env.str("EMAIL_URL", default="") and default_provider == OUTBOX:
        default_provider = SMTP
    provider = env.str("EMAIL_PROVIDER", default="").strip().lower() or default_provider
    if provider not in PROVIDERS:
        raise ImproperlyConfigured(
            f"EMAIL_PROVIDER={provider!r} is not a provider this site knows. "
            f"Use one of: {', '.join(PROVIDERS)}."
        )
    forward = env.str("EMAIL_OUTBOX_FORWARD_BACKEND", default="")
    if forward == OUTBOX_BACKEND:
        raise ImproperlyConfigured(
            "EMAIL_OUTBOX_FORWARD_BACKEND names the outbox itself: every email would be "
            "handed back to it. Name another backend (e.g. the console's) or leave it empty."
        )
    settings: dict = {
        "EMAIL_PROVIDER": provider,
        "EMAIL_OUTBOX_FORWARD_BACKEND": forward,
        "ANYMAIL": anymail_from_environ(env.ENVIRON),
    }
    if provider == OUTBOX:
        settings["EMAIL_BACKEND"] = OUTBOX_BACKEND
    elif provider == CONSOLE:
        settings["EMAIL_BACKEND"] = CONSOLE_BACKEND
    elif provider == SMTP:
        # Normally a mail server; locally EMAIL_URL may name another of Django's backends
        # (filemail://, consolemail://), which production refuses.
        settings.update(env.email_url("EMAIL_URL", default="smtp://localhost:25"))
    else:
        settings["EMAIL_BACKEND"] = f"anymail.backends.{provider}.EmailBackend"
    return settings
