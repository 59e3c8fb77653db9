"""Compressed responses (brotli, gzip, zstd; whichever the browser prefers among them) where
compression gives nothing away.

BREACH: when a compressed page holds a secret (a CSRF token, a reader's personal data) beside
text an attacker can put in the request, the compressed size leaks the secret a byte at a time.
So only what anyone may read is compressed: pages for anonymous visitors, the public read API,
feeds and sitemaps. A request carrying a session, basket or messages cookie, and a response
that sets a cookie, holds a CSRF token or is marked private, goes out uncompressed.

Static files never reach this middleware: WhiteNoise, placed before it, answers them with its
own pre-compressed copies.
"""

from compression_middleware.middleware import CompressionMiddleware
from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.utils.cache import cc_delim_re

# What is worth compressing and may be public. Images, PDFs and audio are compressed already.
COMPRESSIBLE_TYPES = (
    "text/html",
    "text/plain",
    "text/xml",
    "application/xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/json",
    "application/vnd.oai.openapi+json",
)


CSRF_FIELD = b"csrfmiddlewaretoken"


def personal_cookie_names() -> tuple[str, ...]:
    """Cookies whose presence means the page may be about this visitor."""
    return (
        settings.SESSION_COOKIE_NAME,
        settings.OSCAR_BASKET_COOKIE_OPEN,
        CookieStorage.cookie_name,
    )


def _is_private(response) -> bool:
    directives = cc_delim_re.split(response.get("Cache-Control", "").lower())
    return any(d.strip() in ("private", "no-store") for d in directives)


def compression_allowed(request, response) -> bool:
    """Whether this response may be compressed without risking a secret (BREACH)."""
    if any(name in request.COOKIES for name in personal_cookie_names()):
        return False
    # A cookie set now (session, CSRF, basket) belongs to this visitor alone.
    if response.cookies:
        return False
    # The page used a CSRF token (a form): Django marks the request when the token is read.
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return False
    # The same, for a token that reached the page some other way (a cached fragment).
    if not response.streaming and CSRF_FIELD in response.content:
        return False
    if _is_private(response):
        return False
    content_type = response.get("Content-Type", "").split(";", 1)[0].strip().lower()
    return content_type in COMPRESSIBLE_TYPES


class PublicResponseCompressionMiddleware(CompressionMiddleware):
    """django-compression-middleware (Vary: Accept-Encoding, weak ETags, skips small bodies),
    applied only to what :func:`compression_allowed` lets through."""

    def process_response(self, request, response):
        if not compression_allowed(request, response):
            return response
        return super().process_response(request, response)
