"""The glossary: terms kept clean in the CMS, a page listing them A to Z, and the article's
first mention of each term linked to its definition with a tooltip."""

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from wagtail.models import Page, Site
from wagtail.test.utils.form_data import rich_text

from demo.loader import demo_content, glossary_demo_create
from home.glossary.letters import GLOSSARY_ONE_PAGE_MAX
from home.glossary.linking import (
    GlossaryLinker,
    glossary_link_first_mentions,
    glossary_linker_for_request,
)
from home.glossary.selectors import glossary_page_url
from home.models import GlossaryPage, GlossaryTerm, HomePage
from tests.home.factories import GlossaryPageFactory, GlossaryTermFactory, bulk_glossary_terms

pytestmark = pytest.mark.django_db

DEMO_TERMS = demo_content("glossary")["terms"]
GLOSSARY_SOURCE = demo_content("glossary")["source"]

GLOSSARY_URL = "/glossary/"


@pytest.fixture
def home():
    return HomePage.objects.get()


@pytest.fixture
def glossary_page(home):
    return GlossaryPageFactory(parent=home, title="Glossary of Back Pain Terms")


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def soup_of(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def glossary_links(html: str) -> list:
    return soup_of(html).select("a.glossary-term")


# The term snippet


def test_blank_slug_is_made_from_the_term():
    term = GlossaryTerm(term="Back muscle spasm", definition="<p>A cramp in the back.</p>")
    term.full_clean()
    term.save()
    assert term.slug == "back-muscle-spasm"
    assert str(term) == "Back muscle spasm"


def test_a_term_already_in_the_glossary_in_any_case_is_an_error_on_the_term():
    GlossaryTermFactory(term="Sciatica")
    duplicate = GlossaryTerm(term="SCIATICA", slug="sciatica-again", definition="<p>x</p>")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert set(error.value.message_dict) == {"term"}
    assert "already has the term" in error.value.message_dict["term"][0]


def test_a_slug_already_used_in_any_case_is_an_error_on_the_slug():
    GlossaryTermFactory(term="Sciatica")
    duplicate = GlossaryTerm(term="Sciatic pain", slug="Sciatica", definition="<p>x</p>")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert set(error.value.message_dict) == {"slug"}
    assert "already uses the slug 'sciatica'" in error.value.message_dict["slug"][0]


def test_a_term_can_be_saved_again_unchanged():
    term = GlossaryTermFactory(term="Sciatica")
    term.definition = "<p>Edited.</p>"
    term.full_clean()


def test_terms_are_ordered_by_term_ignoring_case():
    for name in ("banana", "Cherry", "apple"):
        GlossaryTermFactory(term=name)
    assert [t.term for t in GlossaryTerm.objects.all()] == ["apple", "banana", "Cherry"]


def term_form_data(**overrides):
    data = {
        "term": "Sciatic pain",
        "slug": "",
        "definition": rich_text("<p>Pain down the leg.</p>", features=["bold", "italic", "link"]),
        "source": "",
        "also_matches": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("editor", "editor@example.com", "pw")
    client.force_login(user)
    return client


def test_admin_form_shows_a_duplicate_slug_as_a_form_error(admin_client):
    GlossaryTermFactory(term="Sciatica")
    url = reverse("wagtailsnippets_home_glossaryterm:add")
    response = admin_client.post(url, term_form_data(slug="sciatica"))
    assert response.status_code == 200
    assert "Another term already uses the slug" in response.content.decode()
    assert GlossaryTerm.objects.count() == 1


def test_admin_form_creates_a_term_with_its_slug_made_from_the_term(admin_client):
    url = reverse("wagtailsnippets_home_glossaryterm:add")
    response = admin_client.post(url, term_form_data())
    assert response.status_code == 302
    term = GlossaryTerm.objects.get()
    assert (term.term, term.slug) == ("Sciatic pain", "sciatic-pain")
    assert "Pain down the leg." in term.definition


def test_admin_lists_and_searches_terms(admin_client):
    GlossaryTermFactory(term="Sciatica", definition="<p>Pain down the leg.</p>")
    GlossaryTermFactory(term="Neutral spine", definition="<p>A balanced back.</p>")
    url = reverse("wagtailsnippets_home_glossaryterm:list")
    assert "Neutral spine" in admin_client.get(url).content.decode()
    found = admin_client.get(url, {"q": "leg"}).content.decode()
    assert "Sciatica" in found
    assert "Neutral spine" not in found


# The glossary page


def test_glossary_page_lists_terms_a_to_z_with_anchors_and_a_letter_index(client, glossary_page):
    GlossaryTermFactory(term="Sciatica", source="A book about backs")
    GlossaryTermFactory(term="subluxation", source="")
    GlossaryTermFactory(term="Arthritis")
    page = soup_of(client.get(glossary_page.url).content.decode())

    nav = page.find("nav", attrs={"aria-label": "Glossary letters"})
    letters = [li.get_text(strip=True) for li in nav.find_all("li")]
    assert letters == list("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert [a["href"] for a in nav.find_all("a")] == ["#letter-a", "#letter-s"]
    assert nav.find("span", string="Z") is not None  # a letter with no terms is not a link

    s_section = page.find(id="letter-s").find_parent("section")
    assert [dt.get_text() for dt in s_section.find_all("dt")] == ["Sciatica", "subluxation"]
    assert [dt["id"] for dt in s_section.find_all("dt")] == ["term-sciatica", "term-subluxation"]
    sciatica = page.find(id="term-sciatica").find_next_sibling("dd")
    assert "What Sciatica means." in sciatica.get_text()
    assert sciatica.find("b").get_text() == "Sciatica"
    assert sciatica.find("cite").get_text() == "A book about backs"
    assert page.find(id="term-subluxation").find_next_sibling("dd").find("cite") is None
    assert page.find(id="letter-b") is None


def test_accented_terms_file_under_their_letter_and_numbers_after_z(client, glossary_page):
    GlossaryTermFactory(term="Écarté stretch")
    GlossaryTermFactory(term="5th lumbar vertebra")
    page = soup_of(client.get(glossary_page.url).content.decode())
    nav = page.find("nav", attrs={"aria-label": "Glossary letters"})
    assert [a["href"] for a in nav.find_all("a")] == ["#letter-e", "#letter-other"]
    assert nav.find_all("li")[-1].get_text(strip=True) == "#"
    assert page.find(id="letter-other").find_next("dt").get_text() == "5th lumbar vertebra"


def test_glossary_page_without_terms_says_so(client, glossary_page):
    page = soup_of(client.get(glossary_page.url).content.decode())
    assert "no terms yet" in page.get_text()
    assert page.find("dl") is None


@pytest.mark.parametrize("count", [10, 300])
def test_glossary_page_queries_do_not_grow_with_the_terms(
    client, glossary_page, home, django_assert_max_num_queries, count
):
    # Every definition links to a page: expanded one by one, these would cost a query each.
    bulk_glossary_terms(
        count, definition=f'<p>See <a linktype="page" id="{home.pk}">the home page</a>.</p>'
    )
    client.get(glossary_page.url)  # warm Wagtail's per-process site caches
    # Site, page route and view restrictions, the terms, the linked pages, and the chrome
    # (site settings, navigation), the breadcrumbs for search engines: 12 queries today,
    # whatever the number of terms.
    with django_assert_max_num_queries(13):
        response = client.get(glossary_page.url)
    page = soup_of(response.content.decode())
    if count <= GLOSSARY_ONE_PAGE_MAX:
        assert len(page.find_all("dt")) == count
    else:
        # A long glossary is a letter a page: the first letter with terms has all of its own.
        link = page.select_one("nav.glossary-letters a")
        letter = link.get_text()
        with django_assert_max_num_queries(13):
            response = client.get(link["href"])
        page = soup_of(response.content.decode())
        starting = [t for t in GlossaryTerm.objects.all() if t.term.upper().startswith(letter)]
        assert len(page.find_all("dt")) == len(starting) > 0
    assert page.find("dd").find("a")["href"] == "/"


def test_glossary_page_goes_only_under_the_home_page_and_only_once(home):
    root = Page.objects.get(depth=1)
    assert GlossaryPage.can_create_at(home)
    assert not GlossaryPage.can_create_at(root)
    assert GlossaryPage in HomePage.allowed_subpage_models()
    GlossaryPageFactory(parent=home)
    assert not GlossaryPage.can_create_at(home)
    assert GlossaryPage.allowed_subpage_models() == []


# Linking the first mentions


@pytest.fixture
def terms():
    return [
        GlossaryTermFactory(
            term="Sciatica",
            also_matches="sciatic pain",
            definition="<p>Pain down the <i>leg</i> &amp; into the foot.</p>",
        ),
        GlossaryTermFactory(term="Spasm", definition="<p>A muscle that will not let go.</p>"),
        GlossaryTermFactory(term="Back muscle spasm", definition="<p>A spasm in the back.</p>"),
        GlossaryTermFactory(term="Lower back", definition="<p>The part below the ribs.</p>"),
        GlossaryTermFactory(term="Lower back pain", definition="<p>Pain below the ribs.</p>"),
    ]


def link(html, terms):
    return glossary_link_first_mentions(html, terms, glossary_url=GLOSSARY_URL)


def test_only_the_first_mention_is_linked_whatever_its_case(terms):
    html = link("<p>SCIATICA starts here.</p><p>Sciatica again, and sciatica.</p>", terms)
    links = glossary_links(html)
    assert len(links) == 1
    assert links[0].get_text() == "SCIATICA"
    assert links[0]["href"] == "/glossary/#term-sciatica"
    assert "Sciatica again, and sciatica." in soup_of(html).get_text()


def test_an_also_matches_word_counts_as_a_mention_of_its_term(terms):
    html = link("<p>Sciatic pain runs down the leg. That is sciatica.</p>", terms)
    links = glossary_links(html)
    assert [(a.get_text(), a["href"]) for a in links] == [
        ("Sciatic pain", "/glossary/#term-sciatica")
    ]


def test_only_whole_words_are_linked(terms):
    assert glossary_links(link("<p>Two sciaticas and a spasmodic ache.</p>", terms)) == []
    terms[0].also_matches = "sciatic pain, sciaticas"
    assert [a.get_text() for a in glossary_links(link("<p>Two sciaticas.</p>", terms))] == [
        "sciaticas"
    ]


def test_links_headings_and_code_are_left_alone(terms):
    html = (
        "<h2>Sciatica</h2><h6>spasm</h6>"
        '<p><a href="/elsewhere/">sciatica</a> and <code>spasm</code> and <b>sciatica</b></p>'
    )
    links = glossary_links(link(html, terms))
    assert len(links) == 1
    assert links[0].find_parent("b") is not None
    assert links[0]["href"] == "/glossary/#term-sciatica"


def test_an_existing_glossary_link_is_not_linked_again(terms):
    once = link("<p>Sciatica hurts.</p>", terms)
    twice = link(once, terms)
    assert len(glossary_links(twice)) == 1
    assert twice == once


def test_the_longer_term_wins_over_a_shorter_one_inside_it(terms):
    html = link("<p>A back muscle spasm, then a spasm, with lower back pain.</p>", terms)
    assert [(a.get_text(), a["href"]) for a in glossary_links(html)] == [
        ("back muscle spasm", "/glossary/#term-back-muscle-spasm"),
        ("spasm", "/glossary/#term-spasm"),
        ("lower back pain", "/glossary/#term-lower-back-pain"),
    ]


def test_a_term_split_over_lines_or_non_breaking_spaces_still_matches(terms):
    html = link("<p>Lower\n back&nbsp;pain</p>", terms)
    assert [a["href"] for a in glossary_links(html)] == ["/glossary/#term-lower-back-pain"]


def test_escaping_is_kept(terms):
    html = link("<p>Tom &amp; Jerry &lt;script&gt;alert(1)&lt;/script&gt; had sciatica.</p>", terms)
    assert "Tom &amp; Jerry &lt;script&gt;alert(1)&lt;/script&gt; had " in html
    assert "<script>" not in html
    tooltip = soup_of(html).find(role="tooltip")
    assert tooltip.get_text() == "Pain down the leg & into the foot."
    assert "Pain down the leg &amp; into the foot." in html


def test_the_tooltip_describes_the_link_and_stays_hidden_until_css_shows_it(terms):
    page = soup_of(link("<p>Sciatica and a spasm.</p>", terms))
    for a in page.select("a.glossary-term"):
        tooltip = page.find(id=a["aria-describedby"])
        assert tooltip["role"] == "tooltip"
        assert tooltip.has_attr("hidden")
        assert a.parent is tooltip.parent  # hovering or focusing the pair shows the tooltip
        assert a.find(role="tooltip") is None  # the link's name stays the term alone
    ids = [a["aria-describedby"] for a in page.select("a.glossary-term")]
    assert ids == ["gloss-sciatica-1", "gloss-spasm-2"]


def test_nothing_to_link_returns_the_html_untouched(terms):
    html = "<p>Nothing here  at&nbsp;all.<br></p>"
    assert link(html, terms) == html
    assert link(html, []) == html
    assert link("", terms) == ""


def test_a_linker_links_each_term_once_across_the_article(terms):
    linker = GlossaryLinker(terms, GLOSSARY_URL)
    first = linker.link("<p>It began as a spasm.</p>")
    second = linker.link("<p>The spasm became sciatica.</p>")
    third = linker.link("<p>Sciatica and spasm, again.</p>")
    assert [a.get_text() for a in glossary_links(first)] == ["spasm"]
    assert [a.get_text() for a in glossary_links(second)] == ["sciatica"]
    assert glossary_links(third) == []
    ids = [a["aria-describedby"] for a in glossary_links(first) + glossary_links(second)]
    assert len(set(ids)) == 2


# Finding the terms and the page


def test_glossary_page_url_is_none_until_a_live_glossary_exists(home, rf):
    site = Site.objects.get(is_default_site=True)
    request = rf.get("/")
    assert glossary_page_url(request) is None
    assert glossary_page_url(site) is None
    assert glossary_linker_for_request(request) is None
    page = GlossaryPageFactory(parent=home)
    assert glossary_page_url(request) == "/glossary/"
    assert glossary_page_url(site) == "/glossary/"
    page.unpublish()
    assert glossary_page_url(request) is None


def test_a_linker_for_the_request_links_to_the_live_glossary(glossary_page, terms):
    linker = glossary_linker_for_request(RequestFactory().get("/"))
    html = linker.link("<p>Sciatica.</p>")
    assert glossary_links(html)[0]["href"] == "/glossary/#term-sciatica"


def test_terms_for_linking_come_from_the_cache_until_one_changes(terms, django_assert_num_queries):
    assert {t.slug for t in GlossaryTerm.objects.cached()} == {t.slug for t in terms}
    with django_assert_num_queries(0):
        cached = GlossaryTerm.objects.cached()
    assert len(cached) == len(terms)

    terms[0].definition = "<p>Edited.</p>"
    terms[0].save()
    fresh = {t.slug: t for t in GlossaryTerm.objects.cached()}
    assert fresh["sciatica"].definition == "<p>Edited.</p>"

    terms[1].delete()
    assert "spasm" not in {t.slug for t in GlossaryTerm.objects.cached()}


# Demo content


def test_demo_glossary_is_created_once_and_never_overwrites_edits(home):
    written = glossary_demo_create(home=home)
    assert len(written) == len(DEMO_TERMS) + 1
    assert GlossaryTerm.objects.count() == len(DEMO_TERMS) >= 12
    assert set(GlossaryTerm.objects.values_list("source", flat=True)) == {GLOSSARY_SOURCE}
    page = GlossaryPage.objects.get()
    assert (page.title, page.slug, page.live) == ("Glossary of Back Pain Terms", "glossary", True)
    assert page.get_parent().specific == home

    sciatica = GlossaryTerm.objects.get(slug="sciatica")
    sciatica.definition = "<p>The author's own words.</p>"
    sciatica.save()
    GlossaryTerm.objects.get(slug="neutral-spine").delete()

    assert glossary_demo_create(home=home) == ["glossary term 'Neutral spine'"]
    assert glossary_demo_create(home=home) == []
    sciatica.refresh_from_db()
    assert sciatica.definition == "<p>The author's own words.</p>"
    assert GlossaryPage.objects.count() == 1


def test_demo_terms_cover_the_articles_words(home, client):
    glossary_demo_create(home=home)
    slugs = set(GlossaryTerm.objects.values_list("slug", flat=True))
    assert {
        "lower-back-pain",
        "muscle-spasm",
        "sciatica",
        "subluxation",
        "spinal-misalignment",
        "herniated-disc",
        "degenerated-disc",
        "facet-joint-syndrome",
        "spinal-arthritis",
        "neutral-spine",
        "muscle-memory",
        "somatic-education",
    } <= slugs
    article = "<p>A bulging disc or movement memory? Somatic education helps.</p>"
    html = link(article, GlossaryTerm.objects.cached())
    assert [a["href"] for a in glossary_links(html)] == [
        "/glossary/#term-herniated-disc",
        "/glossary/#term-muscle-memory",
        "/glossary/#term-somatic-education",
    ]
    assert client.get("/glossary/").status_code == 200


# The template tags for the article


def render(source: str, **context) -> str:
    return Template("{% load glossary_tags %}" + source).render(Context(context))


def test_template_tags_link_each_term_once_in_the_whole_page(glossary_page, terms, rf, home):
    request = rf.get("/")
    html = render(
        "{% glossary_richtext intro %}"
        "{% glossary_linked switch %}<p>Sciatica, then a spasm.</p>{% endglossary_linked %}",
        request=request,
        switch=True,
        intro=f'<p>Sciatica? <a linktype="page" id="{home.pk}">Home</a></p>',
    )
    assert [a["href"] for a in glossary_links(html)] == [
        "/glossary/#term-sciatica",
        "/glossary/#term-spasm",
    ]
    assert soup_of(html).find("a", string="Home")["href"] == "/"  # rich text expanded


def test_template_tags_leave_the_html_alone_when_switched_off_or_without_a_glossary(
    terms, rf, home
):
    source = "{% glossary_linked switch %}<p>Sciatica &amp; spasm.</p>{% endglossary_linked %}"
    expected = "<p>Sciatica &amp; spasm.</p>"
    assert render(source, request=rf.get("/"), switch=True) == expected  # no glossary page
    GlossaryPageFactory(parent=home)
    assert render(source, request=rf.get("/"), switch=False) == expected
    assert render(source, switch=True) == expected  # no request to find the site by
    assert glossary_links(render(source, request=rf.get("/"), switch=True))


def test_the_terms_admin_form_fills_the_slug_from_the_term(admin_client):
    page = soup_of(admin_client.get(reverse("wagtailsnippets_home_glossaryterm:add")).content)
    assert "w-sync" in page.find(id="id_term")["data-controller"]
    assert page.find(id="id_term")["data-w-sync-target-value"] == "#id_slug"
    assert page.find(id="id_slug")["data-controller"] == "w-slug"
    assert "w-sync#apply" in page.find(id="id_term")["data-action"]

    # An existing term keeps its slug: links to its anchor may be out in the world.
    term = GlossaryTermFactory(term="Sciatica")
    edit_url = reverse("wagtailsnippets_home_glossaryterm:edit", args=[term.pk])
    page = soup_of(admin_client.get(edit_url).content)
    assert "w-sync#apply" not in page.find(id="id_term").get("data-action", "")


def test_a_term_needs_a_definition():
    from django.core.exceptions import ValidationError

    term = GlossaryTerm(term="Psoas", definition='<p data-block-key="x1"></p>')
    with pytest.raises(ValidationError) as error:
        term.full_clean()
    assert "Write what the term means" in str(error.value.message_dict["definition"])
