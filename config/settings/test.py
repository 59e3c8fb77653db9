"""The test suite: fast hashing, captured email, jobs run at once, no outside network."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = "test-secret-key-that-is-only-used-by-the-test-suite-0123456789"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Every email is kept in the outbox (Shop → Outbox) and handed on to Django's memory backend,
# so mail.outbox still lists it. (Django's test runner swaps EMAIL_BACKEND for its memory
# backend before each test; tests/conftest.py puts the outbox back.)
EMAIL_PROVIDER = "outbox"
EMAIL_BACKEND = "shop.emails.outbox.OutboxBackend"
EMAIL_OUTBOX_FORWARD_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ANYMAIL = {}
TASKS = {  # noqa: F405
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default"],
    }
}
# Tests get a private cache unless they ask for Redis explicitly.
if not env.bool("TEST_USE_REDIS", default=False):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
LOG_FORMAT = "plain"
LOGGING["handlers"]["stdout"]["formatter"] = "plain"  # noqa: F405
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
WAGTAILADMIN_BASE_URL = "http://testserver"
# Static files straight from the source folders: no collectstatic before a test run.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
# Each test's client starts its own middleware: found when asked for, rather than every
# static file indexed at each start (about 85 ms a client, a minute over the suite).
WHITENOISE_AUTOREFRESH = True
# Every test client comes from 127.0.0.1 and the cache outlives a test: the card-testing
# limits are set by the tests that exercise them (tests/shop/test_card_testing_limits.py).
SIGNUPS_PER_ADDRESS = CARD_SETUPS_PER_ADDRESS = CARD_SETUPS_PER_ACCOUNT = 10_000
CARD_DECLINES_PER_ADDRESS = CARD_DECLINES_PER_ACCOUNT = 10_000
# The shared page cache is off unless a test turns it on (tests/web/test_page_cache.py):
# many tests change rows with queryset.update(), which no signal reports.
PAGE_CACHE_SECONDS = 0
