"""The shared page cache: what it serves, to whom, with which headers, and that it is never
wrong after a change (web.page_cache, web.page_cache_purges)."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone
from wagtail.models import Page, PageViewRestriction, Site

from home.models import HomePage, NavigationItem, NavigationSettings, SiteSettings
from tests.home.factories import (
    ArticlePageFactory,
    AuthorProfileFactory,
    GlossaryPageFactory,
    GlossaryTermFactory,
    StandardPageFactory,
    TestimonialFactory,
)
from tests.home.test_forms import contact_page_publish
from tests.shop.factories import ProgramFactory

pytestmark = pytest.mark.django_db

SECONDS = 300


@pytest.fixture(autouse=True)
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = SECONDS
    settings.PAGE_CACHE_STALE_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def home():
    return HomePage.objects.get()


@pytest.fixture
def content(home):
    """An article with a glossary term, a testimonial, a byline and the trial offer."""
    GlossaryPageFactory(parent=home)
    term = GlossaryTermFactory(term="Sensory-motor amnesia")
    testimonial = TestimonialFactory(quote="My back is my own again.", person="Pat Reader")
    author = AuthorProfileFactory(name="Lee Author")
    product = ProgramFactory(title="Get Free from That Back Pain")
    article = ArticlePageFactory(
        parent=home,
        slug="article",
        title="Why the back hurts",
        author=author,
        body=[
            ("paragraph", "<p>About sensory-motor amnesia.</p>"),
            ("testimonial", {"testimonial": testimonial, "show_as": "quote"}),
            ("glossary_terms", {"heading": "Terms", "terms": [term], "show_definitions": True}),
            ("offer", {"heading": "Try", "product": product, "button_text": "Start"}),
        ],
    )
    return {
        "article": article,
        "term": term,
        "testimonial": testimonial,
        "author": author,
        "product": product,
    }


def cached(client, path="/article/", **extra):
    """(X-Page-Cache, HTML) of a GET."""
    response = client.get(path, **extra)
    return response["X-Page-Cache"], response.content.decode()


def vary_names(response) -> set[str]:
    return {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}


# What is served, with which headers


def test_an_anonymous_article_is_stored_then_served_without_the_database(
    client, content, django_assert_num_queries
):
    first = client.get("/article/")
    assert first.status_code == 200
    assert first["X-Page-Cache"] == "miss"
    with django_assert_num_queries(0):
        second = client.get("/article/")
    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]


@pytest.mark.parametrize("attempt", ["miss", "hit"])
def test_an_anonymous_article_is_ready_for_a_cdn(client, content, attempt):
    if attempt == "hit":
        client.get("/article/")
    response = client.get("/article/")
    assert response["X-Page-Cache"] == attempt
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert directives == {
        "public",
        "max-age=0",
        f"s-maxage={SECONDS}",
        "stale-while-revalidate=60",
    }
    assert not response.cookies
    assert not response.has_header("Set-Cookie")
    assert "cookie" not in vary_names(response)
    # The policy is made for each answer, cached or not.
    assert "Content-Security-Policy" in response
    assert "X-Request-ID" in response


def test_head_is_answered_from_the_stored_page(client, content):
    body = client.get("/article/").content
    response = client.head("/article/")
    assert response["X-Page-Cache"] == "hit"
    assert response.content == b""
    assert response["Content-Length"] == str(len(body))


@pytest.mark.parametrize("attempt", ["miss", "hit"])
def test_a_browser_asking_again_for_an_unchanged_page_gets_a_304(client, content, attempt):
    etag = client.get("/article/")["ETag"]
    if attempt == "miss":
        cache.clear()
    response = client.get("/article/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response["X-Page-Cache"] == attempt
    assert response.content == b""
    assert f"s-maxage={SECONDS}" in response["Cache-Control"]


def test_each_host_and_query_string_has_its_own_entry(client, content):
    assert cached(client)[0] == "miss"
    assert cached(client, HTTP_HOST="localhost")[0] == "miss"
    assert cached(client, HTTP_HOST="localhost")[0] == "hit"
    assert cached(client, "/article/?utm_source=mail")[0] == "miss"
    assert cached(client)[0] == "hit"


def test_robots_txt_is_cached_too(client):
    assert client.get("/robots.txt")["X-Page-Cache"] == "miss"
    assert client.get("/robots.txt")["X-Page-Cache"] == "hit"


def test_an_entry_does_not_outlive_the_day(client, content):
    today = timezone.now().replace(hour=22)
    with time_machine.travel(today, tick=False):
        assert cached(client)[0] == "miss"
        assert cached(client)[0] == "hit"
    with time_machine.travel(today + timedelta(hours=3), tick=False):
        assert cached(client)[0] == "miss"


def test_a_cached_video_page_still_may_frame_the_player(client, home):
    StandardPageFactory(
        parent=home,
        slug="recordings",
        body=[("video", {"url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "caption": ""})],
    )
    first = client.get("/recordings/")
    assert first.status_code == 200
    second = client.get("/recordings/")
    assert second["X-Page-Cache"] == "hit"
    assert "youtube-nocookie.com" in second["Content-Security-Policy"]


def test_the_setting_at_zero_stores_nothing_and_tells_no_cdn(client, content, settings):
    settings.PAGE_CACHE_SECONDS = 0
    for _ in range(2):
        response = client.get("/article/")
        assert response["X-Page-Cache"] == "bypass"
        assert "s-maxage" not in response.get("Cache-Control", "")


# Who is never served from (or stored in) the cache


def test_a_signed_in_reader_never_gets_the_anonymous_page_nor_leaves_theirs(
    client, content, django_user_model
):
    staff = django_user_model.objects.create_superuser("staff", "staff@example.com", "pw-123456")
    assert cached(client)[0] == "miss"  # the anonymous page is stored
    client.force_login(staff)
    response = client.get("/article/")
    assert response["X-Page-Cache"] == "bypass"
    assert "private" in response["Cache-Control"]
    assert "s-maxage" not in response["Cache-Control"]
    # Their own page: the CMS's user bar is shown to staff only.
    assert "wagtail-userbar" in response.content.decode()
    client.logout()
    cache.clear()
    client.force_login(staff)
    client.get("/article/")
    client.logout()
    state, html = cached(client)
    assert state == "miss"
    assert "wagtail-userbar" not in html


@pytest.mark.parametrize(
    "cookie", ["sessionid", "oscar_open_basket", "messages"], ids=["session", "basket", "message"]
)
def test_a_visitor_with_a_session_basket_or_message_is_passed_through(client, content, cookie):
    client.get("/article/")
    client.cookies[cookie] = "something"
    response = client.get("/article/")
    assert response["X-Page-Cache"] == "bypass"
    assert "private" in response["Cache-Control"]
    del client.cookies[cookie]
    assert cached(client)[0] == "hit"


def test_a_request_with_credentials_is_passed_through(client, content):
    client.get("/article/")
    response = client.get("/article/", HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert response["X-Page-Cache"] == "bypass"


@pytest.mark.parametrize(
    "path", ["/shop/", "/shop/basket/", "/cms/", "/django-admin/", "/api/navigation/", "/healthz"]
)
def test_staff_shop_and_api_addresses_are_never_cached(client, path):
    client.get(path)
    assert client.get(path)["X-Page-Cache"] == "bypass"


def test_a_form_page_with_its_csrf_token_is_never_stored(client, home):
    contact_page_publish(home)
    first = client.get("/contact/")
    assert "csrfmiddlewaretoken" in first.content.decode()
    client.cookies.clear()
    second = client.get("/contact/")
    assert second["X-Page-Cache"] == "bypass"
    assert second.cookies  # its own token, never someone else's


def test_a_password_protected_page_is_never_stored(client, content):
    PageViewRestriction.objects.create(
        page=content["article"], restriction_type=PageViewRestriction.PASSWORD, password="pw"
    )
    for _ in range(2):
        client.cookies.clear()
        response = client.get("/article/")
        assert response["X-Page-Cache"] == "bypass"
        assert "Why the back hurts" not in response.content.decode() or "password" in (
            response.content.decode().lower()
        )


def test_a_missing_page_is_not_stored(client):
    client.get("/nothing-here/")
    assert client.get("/nothing-here/")["X-Page-Cache"] == "bypass"


# Never wrong: each change retires the stored pages


MOVED = "moved"  # Wagtail keeps the old address as a redirect to the new one


def _publish_new_title(content):
    article = content["article"]
    article.title = "Why the back hurts, revised"
    article.save_revision().publish()
    return "Why the back hurts, revised"


def _unpublish(content):
    content["article"].unpublish()
    return None


def _delete(content):
    Page.objects.get(pk=content["article"].pk).delete()
    return None


def _move(content):
    home = HomePage.objects.get()
    folder = StandardPageFactory(parent=home, slug="more")
    Page.objects.get(pk=content["article"].pk).move(folder, pos="last-child")
    return MOVED


def _site_settings(content):
    site = Site.objects.get(is_default_site=True)
    chrome = SiteSettings.for_site(site)
    chrome.footer_text = "New footer words"
    chrome.save()
    return "New footer words"


def _navigation(content):
    navigation = NavigationSettings.for_site(Site.objects.get(is_default_site=True))
    NavigationItem.objects.create(settings=navigation, label="New menu entry", url="/shop/")
    return "New menu entry"


def _glossary(content):
    term = content["term"]
    term.definition = "<p>A new plain-language meaning.</p>"
    term.save()
    return "A new plain-language meaning."


def _testimonial(content):
    testimonial = content["testimonial"]
    testimonial.quote = "Walking again without pain."
    testimonial.save()
    return "Walking again without pain."


def _author(content):
    author = content["author"]
    author.name = "Lee Renamed"
    author.save()
    return "Lee Renamed"


def _price(content):
    offer = content["product"].trial_offer
    offer.installment_amount = Decimal("77.00")
    offer.save()
    return "$77.00"


def _product(content):
    product = content["product"]
    product.is_public = False
    product.save()
    return "not available just now"


def _stock_record(content):
    record = content["product"].stockrecords.get()
    record.price = Decimal("154.00")
    record.save()
    return ""


CHANGES = {
    "published": _publish_new_title,
    "unpublished": _unpublish,
    "deleted": _delete,
    "moved": _move,
    "site settings": _site_settings,
    "navigation": _navigation,
    "glossary term": _glossary,
    "testimonial": _testimonial,
    "author profile": _author,
    "offer price": _price,
    "product": _product,
    "stock record": _stock_record,
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_every_change_pages_show_retires_the_stored_pages(client, content, change):
    assert cached(client)[0] == "miss"
    assert cached(client)[0] == "hit"
    expected = change(content)
    response = client.get("/article/")
    assert response["X-Page-Cache"] in ("miss", "bypass")
    if expected is None:
        assert response.status_code == 404
    elif expected is MOVED:
        assert response.status_code == 301
        assert response["Location"] == "/more/article/"
    else:
        assert response.status_code == 200
        assert expected in response.content.decode()


def test_changes_no_signal_reports_are_retired_by_the_command(client, content):
    from io import StringIO

    from django.core.management import call_command

    from home.models import GlossaryTerm

    assert cached(client)[0] == "miss"
    GlossaryTerm.objects.update(definition="<p>Changed in bulk.</p>")
    assert cached(client)[0] == "hit"  # nothing told the cache
    call_command("page_cache_retire", stdout=StringIO())
    state, html = cached(client)
    assert state == "miss"
    assert "Changed in bulk." in html


def test_every_snippet_and_setting_is_watched():
    from wagtail.contrib.settings.registry import registry
    from wagtail.snippets.models import get_snippet_models

    from web.page_cache_purges import content_models

    assert {*get_snippet_models(), *registry} <= content_models()
    assert {"GlossaryTerm", "Testimonial", "AuthorProfile", "SiteSettings", "TrialOffer"} <= {
        model.__name__ for model in content_models()
    }


def test_the_page_cache_answers_right_after_whitenoise(settings):
    middleware = settings.MIDDLEWARE
    whitenoise = middleware.index("whitenoise.middleware.WhiteNoiseMiddleware")
    assert middleware[whitenoise + 1] == "web.page_cache.PageCacheMiddleware"
    # Before anything that reads the session, the CSRF cookie or the basket.
    assert whitenoise + 1 < middleware.index("django.contrib.sessions.middleware.SessionMiddleware")


def test_a_page_rendered_before_a_change_is_not_stored_as_current(client, content, monkeypatch):
    """A change committed while a page is being rendered: that render is not kept."""
    from web import page_cache_purges

    original = Page.serve

    def serve_then_change(self, request, *args, **kwargs):
        response = original(self, request, *args, **kwargs)
        page_cache_purges.content_changed()
        return response

    assert cached(client)[0] == "miss"  # the generation now exists
    page_cache_purges.content_changed()
    monkeypatch.setattr(Page, "serve", serve_then_change)
    assert cached(client)[0] == "miss"
    monkeypatch.setattr(Page, "serve", original)
    assert cached(client)[0] == "miss"
    assert cached(client)[0] == "hit"
