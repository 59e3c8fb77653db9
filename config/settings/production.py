"""Production: every secret from the environment, HTTPS only, no state inside web processes.

Starting without a required secret stops at once with a message naming it.
"""

from django.core.exceptions import ImproperlyConfigured

from shop.emails.providers import ANYMAIL_PROVIDERS, LOCAL_PROVIDERS, SMTP, SMTP_BACKEND
from web.content_security import csp_settings_from

from .base import *  # noqa: F403
from .base import (
    LOCAL_STRIPE_PUBLISHABLE_KEY,
    LOCAL_STRIPE_SECRET_KEY,
    LOCAL_STRIPE_WEBHOOK_SECRET,
    env,
)

# Values the repository itself ships (local defaults, the tests', the deploy check's old
# placeholders): anyone can read them, so they are never a production secret.
DEVELOPMENT_SECRETS = frozenset(
    {
        LOCAL_STRIPE_SECRET_KEY,
        LOCAL_STRIPE_PUBLISHABLE_KEY,
        LOCAL_STRIPE_WEBHOOK_SECRET,
        "sk_test_standin",
        "sk_test_dummy",
        "pk_test_dummy",
        "whsec_dummy",
    }
)


def _require(name: str, *, min_length: int = 1) -> str:
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set. Production settings need it in the environment "
            f"(see README, 'Running in production')."
        )
    if len(value) < min_length:
        raise ImproperlyConfigured(f"{name} must be at least {min_length} characters long.")
    return value


def _require_secret_key() -> str:
    value = _require("SECRET_KEY", min_length=50)
    # The same bar as Django's deploy check (security.W009), enforced at start-up.
    if len(set(value)) < 5 or value.startswith("django-insecure-"):
        raise ImproperlyConfigured(
            "SECRET_KEY looks generated for development or too repetitive; "
            'use a long random value, e.g. python -c "import secrets; '
            'print(secrets.token_urlsafe(50))".'
        )
    return value


def _email_provider_checked(*, provider: str, anymail: dict, backend: str) -> str:
    if provider == SMTP and backend != SMTP_BACKEND:
        raise ImproperlyConfigured(
            "EMAIL_PROVIDER=smtp needs EMAIL_URL to name a mail server, e.g. "
            "smtp+tls://user:password@smtp.example.com:587."
        )
    if provider in LOCAL_PROVIDERS:
        raise ImproperlyConfigured(
            f"EMAIL_PROVIDER is {provider!r}, which sends no email. Set EMAIL_PROVIDER=smtp "
            "(with EMAIL_URL) or a provider's name, e.g. postmark with "
            "ANYMAIL_POSTMARK_SERVER_TOKEN (see README, 'Emails')."
        )
    if provider in ANYMAIL_PROVIDERS and not anymail.get("WEBHOOK_SECRET"):
        raise ImproperlyConfigured(
            f"EMAIL_PROVIDER={provider} needs ANYMAIL_WEBHOOK_SECRET (user:password) to take "
            "its delivery events: set it here and in the provider's webhook address "
            f"(https://user:password@your-host/shop/email-events/{provider}/tracking/)."
        )
    return provider


DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = _require_secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is not set. List the site's host names, comma-separated."
    )

# No state inside web processes: a shared cache and S3 for files, so any number of web and
# worker processes on any number of machines serve one site.
_require("REDIS_URL")
_MEDIA_BUCKET = _require("AWS_STORAGE_BUCKET_NAME")

# Program files are never public: a public-read policy on the media bucket would expose them
# too, so one bucket for both must be chosen on purpose.
if env("AWS_PRIVATE_BUCKET_NAME", default="") in ("", _MEDIA_BUCKET) and not env.bool(
    "ALLOW_SHARED_MEDIA_BUCKET", default=False
):
    raise ImproperlyConfigured(
        f"Program files and public media would share the bucket {_MEDIA_BUCKET} "
        "(AWS_PRIVATE_BUCKET_NAME is unset or the same): a public-read policy on the media "
        "would expose the program files. Set AWS_PRIVATE_BUCKET_NAME to a separate private "
        "bucket, or ALLOW_SHARED_MEDIA_BUCKET=true if the bucket has no public policy."
    )

# Emails must leave: the outbox and the console keep or print them and send nothing. A
# provider through django-anymail also reports what became of each email (delivered,
# bounced...) on a webhook protected by ANYMAIL_WEBHOOK_SECRET ("user:password").
EMAIL_PROVIDER = _email_provider_checked(
    provider=EMAIL_PROVIDER,  # noqa: F405
    anymail=ANYMAIL,  # noqa: F405
    backend=EMAIL_BACKEND,  # noqa: F405
)

# Each web process keeps its database connection between requests instead of opening one per
# request (a PostgreSQL connection costs milliseconds and a backend process); a connection
# is checked before a request reuses it, so a database restart costs no failed request.
# Mind the database's max_connections: one connection per worker process (per thread with
# gthread workers), plus the worker and the clock.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool(  # noqa: F405
    "CONN_HEALTH_CHECKS", default=True
)

# The visitor's address (rate limits, sign-in lockout, consent records) depends on it: a
# wrong guess either trusts made-up X-Forwarded-For entries or counts every visitor as the
# load balancer, so it must be written down (0 when nothing stands in front).
_require("TRUSTED_PROXY_COUNT")


def _require_stripe_secret(name: str, prefixes: tuple[str, ...]) -> str:
    value = _require(name)
    if value in DEVELOPMENT_SECRETS:
        raise ImproperlyConfigured(
            f"{name} is a development value shipped with the site; use the one from your "
            "Stripe dashboard (Developers → API keys, or the webhook endpoint's signing secret)."
        )
    if not value.startswith(prefixes):
        raise ImproperlyConfigured(f"{name} must start with {' or '.join(prefixes)}.")
    return value


def _stripe_mode(name: str, value: str) -> str:
    """ "test" or "live", from the key's prefix (sk_test_, pk_live_, rk_test_...)."""
    mode = value.split("_")[1] if value.count("_") >= 2 else ""
    if mode not in ("test", "live"):
        raise ImproperlyConfigured(f"{name} is neither a test nor a live key.")
    return mode


def _require_stripe_keys(*, test_mode: bool) -> tuple[str, str, str]:
    """The secret key, publishable key and webhook secret, refused when shipped with the
    site, misplaced, of two different modes, or test keys without STRIPE_TEST_MODE."""
    secret = _require_stripe_secret("STRIPE_SECRET_KEY", ("sk_", "rk_"))
    publishable = _require_stripe_secret("STRIPE_PUBLISHABLE_KEY", ("pk_",))
    webhook = _require_stripe_secret("STRIPE_WEBHOOK_SECRET", ("whsec_",))
    key_mode = _stripe_mode("STRIPE_SECRET_KEY", secret)
    if key_mode != _stripe_mode("STRIPE_PUBLISHABLE_KEY", publishable):
        raise ImproperlyConfigured(
            "STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY are from different modes (one test, "
            "one live): take both from the same page of the Stripe dashboard."
        )
    if key_mode == "test" and not test_mode:
        raise ImproperlyConfigured(
            f"STRIPE_SECRET_KEY is a test-mode key ({secret.split('_')[0]}_test_): set "
            "STRIPE_TEST_MODE=true to run on Stripe's test mode, or use live keys."
        )
    if key_mode == "live" and test_mode:
        raise ImproperlyConfigured(
            "STRIPE_TEST_MODE is on, but STRIPE_SECRET_KEY is a live key: "
            "remove STRIPE_TEST_MODE to take real payments, or use test keys."
        )
    return secret, publishable, webhook


STRIPE_TEST_MODE = env.bool("STRIPE_TEST_MODE", default=False)
STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY, STRIPE_WEBHOOK_SECRET = _require_stripe_keys(
    test_mode=STRIPE_TEST_MODE
)
STRIPE_API_BASE = env("STRIPE_API_BASE", default="https://api.stripe.com")
STRIPE_JS_URL = env("STRIPE_JS_URL", default="https://js.stripe.com/v3/")
STRIPE_FILES_BASE = env("STRIPE_FILES_BASE", default="https://files.stripe.com")
# The policy names Stripe.js's origin: built again now that it is Stripe's own.
CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_REPORT_ONLY = csp_settings_from(globals())

# HTTPS behind a proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# The load balancer's health probe speaks plain HTTP inside the platform.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
OSCAR_BASKET_COOKIE_SECURE = True
OSCAR_RECENTLY_VIEWED_COOKIE_SECURE = True
OSCAR_URL_SCHEMA = "https"

# Hashed, compressed static files served by whitenoise.
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
}
