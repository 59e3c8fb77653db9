"""Production: every secret from the environment, HTTPS only, no state inside web processes.

Starting without a required secret stops at once with a message naming it.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env


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
_require("AWS_STORAGE_BUCKET_NAME")

STRIPE_SECRET_KEY = _require("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = _require("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = _require("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="https://api.stripe.com")
STRIPE_JS_URL = env("STRIPE_JS_URL", default="https://js.stripe.com/v3/")

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
