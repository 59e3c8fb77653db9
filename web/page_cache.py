"""The shared page cache: anonymous visitors get the site's pages from Django's cache (Redis in
production), answered before sessions, CSRF, sign-in and the basket are looked at.

A visitor is anonymous when the request carries no session, basket or messages cookie and no
Authorization header: nothing in such a request can change the page. Only pages Wagtail serves
and a few views listed here are stored, only when the answer is a 200 that sets no cookie and
is not marked private. Anything a signed-in visitor sees is marked private, so no shared cache
(ours or a CDN's) keeps it.

An entry is keyed by scheme, host, path, query string, the accepted encodings and the site's
local date (pages show "today" next to the offer's terms), and stamped with the content
generation it was rendered under: any change to content bumps the generation
(``page_cache_generation_bump``), which retires every entry at once, here and, through
``web.page_cache_purges``, at the CDN.

``PAGE_CACHE_SECONDS`` (0 turns the cache and the CDN header off) is how long an entry lives
here and what ``s-maxage`` tells a CDN; browsers always ask again (``max-age=0``).
"""

import time
from hashlib import sha256

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import (
    cc_delim_re,
    get_conditional_response,
    patch_cache_control,
    set_response_etag,
)

from web.content_security import page_allowances, page_allowances_restore

GENERATION_KEY = "page-cache:generation"
ENTRY_KEY_PREFIX = "page-cache:entry:"
HEADER = "X-Page-Cache"

# Never looked up: staff, shop, API (web.api caches it in HTTP), documents (their own
# privacy checks), search results (endless query strings), health checks, files.
PATHS_NEVER_CACHED = (
    "/cms/",
    "/django-admin/",
    "/shop/",
    "/api/",
    "/documents/",
    "/search/",
    "/healthz",
    "/static/",
    "/media/",
)

# Views whose answers are the same for every anonymous visitor of a host: Wagtail's pages
# (page previews are served under /cms/), robots.txt and the sitemap.
CACHEABLE_URL_NAMES = frozenset({"wagtail_serve", "robots_txt", "sitemap"})

# Response headers a stored page may vary on: the encoding is part of the key, and Cookie only
# matters for the visitors this cache never serves.
VARY_UNDERSTOOD = frozenset({"accept-encoding", "cookie"})

# Headers worth keeping with an entry; the outer middleware (request id, security headers,
# the policy with its per-response nonce) adds its own on every answer, hit or miss.
_HEADERS_NOT_STORED = frozenset({"set-cookie", HEADER.lower()})


def cache_seconds() -> int:
    return max(0, settings.PAGE_CACHE_SECONDS)


def stale_seconds() -> int:
    return max(0, settings.PAGE_CACHE_STALE_SECONDS)


def cookies_that_bypass() -> tuple[str, ...]:
    """Cookies that mean the visitor has a state of their own: signed in (or entered a page
    password), a basket, a message waiting to be shown."""
    return (
        settings.SESSION_COOKIE_NAME,
        settings.OSCAR_BASKET_COOKIE_OPEN,
        CookieStorage.cookie_name,
    )


def request_is_anonymous(request) -> bool:
    """True when nothing in the request can make its page differ from another visitor's."""
    if "authorization" in request.headers:
        return False
    cookies = request.COOKIES
    return not any(name in cookies for name in cookies_that_bypass())


def page_cache_generation_bump() -> None:
    """Retire every stored page: called whenever anything a page shows has changed."""
    cache.set(GENERATION_KEY, time.time_ns(), timeout=None)


def _entry_key(request) -> str | None:
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    encoding = request.headers.get("accept-encoding", "").replace(" ", "").lower()
    parts = [
        request.scheme,
        host.lower(),
        request.path,
        request.META.get("QUERY_STRING", ""),
        encoding,
        timezone.localdate().isoformat(),
    ]
    return ENTRY_KEY_PREFIX + sha256("\n".join(parts).encode()).hexdigest()


def _vary_names(response) -> set[str]:
    if not response.has_header("Vary"):
        return set()
    return {name.strip().lower() for name in cc_delim_re.split(response["Vary"]) if name}


def _vary_without_cookie(response) -> None:
    names = [
        name.strip()
        for name in cc_delim_re.split(response.get("Vary", ""))
        if name.strip() and name.strip().lower() != "cookie"
    ]
    if names:
        response["Vary"] = ", ".join(names)
    elif response.has_header("Vary"):
        del response["Vary"]


def _cache_control_forbids_storing(response) -> bool:
    value = response.get("Cache-Control", "").lower()
    return any(word in value for word in ("private", "no-store", "no-cache"))


def _served_by_cacheable_view(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and match.url_name in CACHEABLE_URL_NAMES


def _response_from_entry(entry: dict, *, head: bool) -> HttpResponse:
    response = HttpResponse(b"" if head else entry["content"], status=entry["status"])
    for name, value in entry["headers"]:
        response[name] = value
    if head:
        response["Content-Length"] = str(len(entry["content"]))
    return response


class PageCacheMiddleware:
    """Answers anonymous GET/HEAD requests from the shared page cache, stores what may be
    shared, and sets the Cache-Control a CDN follows (``X-Page-Cache: hit|miss|bypass``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seconds = cache_seconds()
        anonymous = request_is_anonymous(request)
        eligible = (
            anonymous
            and request.method in ("GET", "HEAD")
            and not request.path.startswith(PATHS_NEVER_CACHED)
        )
        key = _entry_key(request) if eligible and seconds else None
        generation = None
        if key is not None:
            # One round trip: the generation and the entry together.
            found = cache.get_many([GENERATION_KEY, key])
            generation = found.get(GENERATION_KEY)
            entry = found.get(key)
            if (
                entry is not None
                and generation is not None
                and entry.get("generation") == generation
            ):
                page_allowances_restore(request, entry["allowances"])
                response = _response_from_entry(entry, head=request.method == "HEAD")
                # Browsers ask again every time (max-age=0): an unchanged page costs a 304.
                response = get_conditional_response(
                    request, etag=response.get("ETag"), response=response
                )
                response[HEADER] = "hit"
                return response
            if generation is None:
                # No generation yet (first start, or the cache was emptied): start one, or
                # take the one another process started first, before this page is rendered.
                cache.add(GENERATION_KEY, time.time_ns(), timeout=None)
                generation = cache.get(GENERATION_KEY)

        response = self.get_response(request)

        if not anonymous:
            patch_cache_control(response, private=True)
            response[HEADER] = "bypass"
            return response
        if not eligible or not self._shareable(request, response):
            response[HEADER] = "bypass"
            return response
        # The same page for every anonymous visitor: nothing a browser or a CDN should vary
        # on the Cookie header for (they bypass when one of cookies_that_bypass is present).
        _vary_without_cookie(response)
        if not seconds:
            response[HEADER] = "bypass"
            return response
        patch_cache_control(
            response,
            public=True,
            max_age=0,
            s_maxage=seconds,
            stale_while_revalidate=stale_seconds(),
        )
        if not response.has_header("ETag"):
            set_response_etag(response)
        if key is not None and request.method == "GET":
            self._store(request, response, key=key, generation=generation, seconds=seconds)
        response = get_conditional_response(request, etag=response["ETag"], response=response)
        response[HEADER] = "miss"
        return response

    @staticmethod
    def _shareable(request, response) -> bool:
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not response.has_header("Set-Cookie")
            and not _cache_control_forbids_storing(response)
            and _vary_names(response) <= VARY_UNDERSTOOD
            and _served_by_cacheable_view(request)
        )

    @staticmethod
    def _store(request, response, *, key: str, generation, seconds: int) -> None:
        if generation is None:
            return
        headers = [
            (name, value)
            for name, value in response.items()
            if name.lower() not in _HEADERS_NOT_STORED
        ]
        entry = {
            "generation": generation,
            "status": response.status_code,
            "headers": headers,
            "content": response.content,
            "allowances": page_allowances(request),
        }
        cache.set(key, entry, timeout=seconds)
