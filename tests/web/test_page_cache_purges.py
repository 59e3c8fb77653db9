"""The CDN is asked to drop the right addresses when content changes: a local stand-in takes
the HTTP PURGE requests Wagtail's front-end cache sends (web.page_cache_purges)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import environ
import pytest
from django.core.cache import cache
from wagtail.models import Site

from home.models import HomePage, SiteSettings
from tests.home.factories import ArticlePageFactory, StandardPageFactory
from web.cdn import CLOUDFLARE_BACKEND, CLOUDFRONT_BACKEND, HTTP_BACKEND, frontend_cache_from_env
from web.page_cache_purges import _after_commit

pytestmark = pytest.mark.django_db

# This module's loopback ports, so parallel runs of other suites never collide.
PORTS = range(8620, 8630)


class _PurgeRecorder(BaseHTTPRequestHandler):
    def do_PURGE(self):  # noqa: N802 (the HTTP method's name)
        self.server.purged.append((self.headers["Host"], self.path))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def purge_standin():
    """A cache that records the PURGE requests it gets: a list of (host, path)."""
    for port in PORTS:
        try:
            server = ThreadingHTTPServer(("127.0.0.1", port), _PurgeRecorder)
            break
        except OSError:
            continue
    else:
        pytest.fail(f"no free port in {PORTS}")
    server.purged = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def cdn(settings, purge_standin):
    settings.PAGE_CACHE_SECONDS = 300
    settings.WAGTAILFRONTENDCACHE = {
        "purge_url": {
            "BACKEND": HTTP_BACKEND,
            "LOCATION": f"http://127.0.0.1:{purge_standin.server_port}",
        }
    }
    cache.clear()
    return purge_standin.purged


@pytest.fixture
def pages():
    home = HomePage.objects.get()
    return {
        "article": ArticlePageFactory(parent=home, slug="article"),
        "about": StandardPageFactory(parent=home, slug="about"),
    }


EVERY_PAGE = {"/", "/article/", "/about/", "/robots.txt", "/sitemap.xml"}


def test_publishing_a_page_purges_it_and_every_page_that_may_show_it(
    cdn, pages, django_capture_on_commit_callbacks
):
    cdn.clear()
    article = pages["article"]
    article.title = "A new title"
    with django_capture_on_commit_callbacks(execute=True):
        article.save_revision().publish()
    assert ("localhost", "/article/") in cdn
    assert {path for host, path in cdn} == EVERY_PAGE
    assert {host for host, path in cdn} == {"localhost"}


def test_a_settings_change_purges_every_page(cdn, pages, django_capture_on_commit_callbacks):
    chrome = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    cdn.clear()
    chrome.footer_text = "New footer"
    with django_capture_on_commit_callbacks(execute=True):
        chrome.save()
    assert {path for host, path in cdn} == EVERY_PAGE


def test_one_transaction_of_many_changes_purges_once(
    cdn, pages, django_capture_on_commit_callbacks
):
    chrome = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    cdn.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for n in range(3):
            chrome.footer_text = f"Footer {n}"
            chrome.save()
    assert [c for c in callbacks if c is _after_commit] == [_after_commit]
    assert sorted(path for host, path in cdn) == sorted(EVERY_PAGE)


def test_unpublishing_purges_the_page(cdn, pages, django_capture_on_commit_callbacks):
    cdn.clear()
    with django_capture_on_commit_callbacks(execute=True):
        pages["about"].unpublish()
    assert ("localhost", "/about/") in cdn


def test_without_a_cdn_no_addresses_are_gathered(
    settings, pages, monkeypatch, django_capture_on_commit_callbacks
):
    from web import page_cache_purges

    def gathered():
        raise AssertionError("addresses gathered with no CDN to tell")

    monkeypatch.setattr(page_cache_purges, "site_urls_to_purge", gathered)
    settings.WAGTAILFRONTENDCACHE = {}
    chrome = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    chrome.footer_text = "Quiet"
    with django_capture_on_commit_callbacks(execute=True):
        chrome.save()


def _env(**values):
    env = environ.Env()
    env.ENVIRON = dict(values)
    return env


def test_no_cdn_is_configured_by_default():
    assert frontend_cache_from_env(_env()) == {}


def test_each_cdn_is_configured_from_its_variables():
    backends = frontend_cache_from_env(
        _env(
            FRONTEND_CACHE_PURGE_URL="http://varnish:6081",
            CLOUDFLARE_API_TOKEN="token",
            CLOUDFLARE_ZONE_ID="zone",
            CLOUDFRONT_DISTRIBUTION_ID="E123",
        )
    )
    assert backends == {
        "purge_url": {"BACKEND": HTTP_BACKEND, "LOCATION": "http://varnish:6081"},
        "cloudflare": {"BACKEND": CLOUDFLARE_BACKEND, "BEARER_TOKEN": "token", "ZONEID": "zone"},
        "cloudfront": {"BACKEND": CLOUDFRONT_BACKEND, "DISTRIBUTION_ID": "E123"},
    }


def test_a_moved_page_is_purged_at_its_old_address_and_its_children_too(
    cdn, pages, django_capture_on_commit_callbacks
):
    from wagtail.models import Page

    StandardPageFactory(parent=pages["article"], slug="child")
    folder = StandardPageFactory(parent=HomePage.objects.get(), slug="more")
    cdn.clear()
    with django_capture_on_commit_callbacks(execute=True):
        Page.objects.get(pk=pages["article"].pk).move(folder, pos="last-child")
    purged = {path for host, path in cdn}
    assert {"/article/", "/article/child/", "/more/article/", "/more/article/child/"} <= purged


def test_a_deleted_page_is_purged(cdn, pages, django_capture_on_commit_callbacks):
    from wagtail.models import Page

    cdn.clear()
    with django_capture_on_commit_callbacks(execute=True):
        Page.objects.get(pk=pages["about"].pk).delete()
    assert ("localhost", "/about/") in cdn
    assert ("localhost", "/article/") in cdn


def test_a_page_made_private_is_purged(cdn, pages, django_capture_on_commit_callbacks):
    from wagtail.models import PageViewRestriction

    cdn.clear()
    with django_capture_on_commit_callbacks(execute=True):
        PageViewRestriction.objects.create(
            page=pages["about"], restriction_type=PageViewRestriction.LOGIN
        )
    assert ("localhost", "/about/") in cdn
