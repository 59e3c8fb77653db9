"""An uncached article, the glossary and the Q&A page read the database a small, fixed number
of times however long the glossary grows, and never show anything older than the last edit."""

import string
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oscar.core.loading import get_model
from wagtail.models import Revision

from home.content_changes import content_changed, content_version, rendered_content_seconds
from home.models import GlossaryPage, GlossaryTerm, HomePage, NavigationItem, QAPage, SiteSettings
from shop.billing.models import TrialOffer
from shop.billing.selectors import trial_terms_for_product

pytestmark = pytest.mark.django_db

Basket = get_model("basket", "Basket")

ARTICLE_MAX_QUERIES = 12
# The first request after an edit renders the article and its parts again, once for all.
ARTICLE_AFTER_EDIT_MAX_QUERIES = 35


@pytest.fixture
def demo(demo_site):
    return demo_site


def qa_path() -> str:
    return QAPage.objects.get().url


def grow_glossary(count: int, start: int = 0) -> None:
    """Terms the article never mentions, spread over the letters, as a glossary grows."""
    GlossaryTerm.objects.bulk_create(
        GlossaryTerm(
            term=f"{string.ascii_uppercase[i % 26]}grown term {i:05d}",
            slug=f"{string.ascii_lowercase[i % 26]}grown-term-{i:05d}",
            definition=f"<p>A plain meaning, number {i}.</p>",
        )
        for i in range(start, start + count)
    )
    content_changed(glossary=True)  # bulk_create sends no signals


def fetch(client, path: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(queries), response.content.decode()


def counts(client, path: str) -> tuple[int, int]:
    """Queries of the first request after an edit of a term, then of the next one."""
    content_changed(glossary=True)
    after_edit, _ = fetch(client, path)
    again, _ = fetch(client, path)
    return after_edit, again


def tooltip_links(html: str) -> list:
    return BeautifulSoup(html, "html.parser").select(".article-body a.glossary-term")


def tooltip_text(html: str, slug: str) -> str:
    page = BeautifulSoup(html, "html.parser")
    link = page.select_one(f'.article-body a.glossary-term[href$="#term-{slug}"]')
    return page.find(id=link["aria-describedby"]).get_text()


# Query counts


def test_the_article_reads_at_most_twelve_queries(demo, client, django_assert_max_num_queries):
    client.get("/")  # settings rows are made, the article rendered and kept
    with django_assert_max_num_queries(ARTICLE_MAX_QUERIES):
        response = client.get("/")
    assert tooltip_links(response.content.decode())
    content_changed()
    with django_assert_max_num_queries(ARTICLE_AFTER_EDIT_MAX_QUERIES):
        client.get("/")


def test_a_signed_in_reader_gets_the_article_in_as_few_queries(
    demo, client, django_user_model, django_assert_max_num_queries
):
    client.force_login(django_user_model.objects.create_user("reader", "r@example.com", "x"))
    client.get("/")
    # The session and the user are read on top of the anonymous reader's queries.
    with django_assert_max_num_queries(ARTICLE_MAX_QUERIES + 2):
        response = client.get("/")
    assert tooltip_links(response.content.decode())


@pytest.mark.parametrize("path", ["/", "qa"])
def test_queries_are_the_same_with_12_and_1012_glossary_terms(demo, client, path):
    path = qa_path() if path == "qa" else path
    client.get(path)
    small = counts(client, path)
    grow_glossary(1000)
    assert counts(client, path) == small


def test_the_glossary_page_reads_the_same_however_many_terms(demo, client):
    client.get("/glossary/")
    grow_glossary(1000)
    index, letter = counts(client, "/glossary/"), counts(client, "/glossary/b/")
    grow_glossary(1000, start=1000)
    assert counts(client, "/glossary/") == index
    assert counts(client, "/glossary/b/") == letter
    assert max(index[1], letter[1]) <= ARTICLE_MAX_QUERIES


def test_the_article_links_the_same_terms_in_a_grown_glossary(demo, client):
    before = [a["href"].split("#")[1] for a in tooltip_links(fetch(client, "/")[1])]
    grow_glossary(1000)
    after = [a["href"].split("#")[1] for a in tooltip_links(fetch(client, "/")[1])]
    assert after == before and before


# The glossary page, one page or a letter a page


def test_a_short_glossary_is_one_page_with_every_term(demo, client):
    _, html = fetch(client, "/glossary/")
    page = BeautifulSoup(html, "html.parser")
    assert len(page.select("dt[id^=term-]")) == GlossaryTerm.objects.count()
    assert client.get("/glossary/s/").status_code == 404
    for link in tooltip_links(fetch(client, "/")[1]):
        assert link["href"].startswith("/glossary/#term-")
        assert page.find(id=link["href"].split("#")[1]) is not None


def test_a_long_glossary_is_a_letter_a_page_and_every_link_finds_its_term(demo, client):
    grow_glossary(1000)
    _, index = fetch(client, "/glossary/")
    index_page = BeautifulSoup(index, "html.parser")
    assert index_page.select("dt") == []
    letters = [a["href"] for a in index_page.select("nav.glossary-letters a")]
    assert "/glossary/s/" in letters and len(letters) == 26

    _, s_page = fetch(client, "/glossary/s/")
    s_terms = BeautifulSoup(s_page, "html.parser").select("dt[id^=term-]")
    assert 30 < len(s_terms) < 60
    assert all(dt.get_text().upper().startswith("S") for dt in s_terms)

    links = tooltip_links(fetch(client, "/")[1])
    assert links
    for link in links:
        path, anchor = link["href"].split("#")
        _, html = fetch(client, path)
        assert BeautifulSoup(html, "html.parser").find(id=anchor) is not None, link["href"]
    # The list of the article's terms links to the letter pages too.
    listed = BeautifulSoup(fetch(client, "/")[1], "html.parser").select(
        "section.glossary-terms dt a"
    )
    assert listed and all(a["href"].count("/") == 3 for a in listed)


def test_a_link_from_when_the_glossary_was_one_page_still_finds_its_term(demo, client):
    grow_glossary(1000)
    _, index = fetch(client, "/glossary/")
    nav = BeautifulSoup(index, "html.parser").select_one("nav.glossary-letters")
    # The index sends /glossary/#term-x on to /glossary/term/x/ (js/glossary.js).
    assert nav["data-glossary-term-address"] == "/glossary/term/"
    assert "js/glossary.js" in index
    response = client.get("/glossary/term/sciatica/")
    assert response.status_code == 302
    assert response["Location"] == "/glossary/s/#term-sciatica"
    assert client.get("/glossary/term/no-such-term/").status_code == 404


# Never older than the last edit


def test_an_edited_definition_shows_at_once(demo, client):
    _, html = fetch(client, "/")
    slug = tooltip_links(html)[0]["href"].split("#term-")[1]
    term = GlossaryTerm.objects.get(slug=slug)
    term.definition = "<p>Freshly rewritten in plain words.</p>"
    term.save()
    assert tooltip_text(fetch(client, "/")[1], slug) == "Freshly rewritten in plain words."


def test_a_deleted_term_is_no_longer_linked(demo, client):
    _, html = fetch(client, "/")
    slug = tooltip_links(html)[0]["href"].split("#term-")[1]
    GlossaryTerm.objects.get(slug=slug).delete()
    hrefs = [a["href"] for a in tooltip_links(fetch(client, "/")[1])]
    assert hrefs and not any(href.endswith(f"#term-{slug}") for href in hrefs)


def test_a_republished_article_shows_at_once(demo, client):
    fetch(client, "/")
    home = HomePage.objects.get()
    home.lead = "Words the author has just published."
    home.save_revision().publish()
    assert "Words the author has just published." in fetch(client, "/")[1]


def test_a_changed_price_shows_at_once(demo, client):
    fetch(client, "/")
    offer = TrialOffer.objects.get()
    offer.installment_amount = Decimal("41.17")
    offer.save()
    html = fetch(client, "/")[1]
    terms = trial_terms_for_product(offer.product)
    assert terms.installment_display in html
    assert f'"price": "{terms.total:.2f}"' in html  # the JSON-LD offer too


def test_edited_navigation_and_footer_show_at_once(demo, client):
    fetch(client, "/")
    item = NavigationItem.objects.order_by("sort_order").last()
    item.label = "Freshly renamed"
    item.save()
    settings = SiteSettings.objects.get()
    settings.footer_text = "A footer written just now."
    settings.save()
    html = fetch(client, "/")[1]
    assert ">Freshly renamed</a>" in html
    assert "A footer written just now." in html


def test_an_unpublished_glossary_unlinks_the_article(demo, client):
    assert tooltip_links(fetch(client, "/")[1])
    GlossaryPage.objects.get().unpublish()
    assert tooltip_links(fetch(client, "/")[1]) == []


def test_a_preview_is_never_kept(demo, client, admin_user):
    fetch(client, "/")
    client.force_login(admin_user)
    home = HomePage.objects.get()
    home.lead = "Only a draft."
    home.save_revision()
    response = client.get(f"/cms/pages/{home.pk}/view_draft/")
    assert "Only a draft." in response.content.decode()
    assert "Only a draft." not in fetch(client, "/")[1]


def test_kept_parts_expire_before_signed_media_addresses_do(settings):
    settings.RENDERED_CONTENT_SECONDS = 86400
    assert rendered_content_seconds() == 86400
    settings.AWS_STORAGE_BUCKET_NAME = "media-bucket"
    settings.AWS_QUERYSTRING_EXPIRE = 300
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "media_config.storages.PublicMediaS3Storage"},
    }
    # An image in a kept article must still load: its signed address lives 300 seconds.
    assert rendered_content_seconds() == 150


def test_readers_and_their_orders_leave_kept_pages_alone(demo, django_user_model):
    version = content_version()
    reader = django_user_model.objects.create_user("reader", "r@example.com", "x")
    Basket.objects.create(owner=reader)
    Revision.objects.filter(object_id=str(HomePage.objects.get().pk)).first().save()
    assert content_version() == version
    term = GlossaryTerm.objects.first()
    term.save()
    assert content_version() != version
