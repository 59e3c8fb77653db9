"""References: the numbered sources of an article, the markers such as [1] in its text that link
to them, and the links from each source back to every place that cites it; what the CMS
refuses (a marker citing a source the page does not list, a year still to come)."""

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.blocks.stream_block import StreamBlockValidationError
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from home.blocks import ArticleStreamBlock, ReferenceBlock
from home.models import ArticlePage, HomePage
from home.models.pages import GLOSSARY_LINKED_BLOCKS
from home.references import PROSE_BLOCKS, CitationLinker, doi_alone, page_citations
from tests.home.factories import (
    ArticlePageFactory,
    GlossaryPageFactory,
    GlossaryTermFactory,
    StandardPageFactory,
)

pytestmark = pytest.mark.django_db

DOI = "10.1016/S0140-6736(18)30480-X"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def home():
    return HomePage.objects.get()


def soup_of(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def reference(number: int, **fields) -> dict:
    return {
        "authors": f"Writer{number} A, Author B",
        "title": f"Study {number} of low back pain",
        "kind": "journal",
        "source": "Spine",
        "year": 2018,
        "details": "",
        "doi": "",
        "url": "",
        **fields,
    }


def references_block(count: int, **first) -> tuple:
    entries = [reference(n, **(first if n == 1 else {})) for n in range(1, count + 1)]
    return ("references", {"heading": "References", "references": entries})


def paragraph(text: str) -> tuple:
    return ("paragraph", f"<p>{text}</p>")


def citation_links(html: str) -> list:
    return soup_of(html).select("sup.citation a")


# The markers made links


def test_a_single_marker_becomes_a_numbered_link_with_a_name():
    html = CitationLinker(3).link("<p>Most back pain eases in weeks [2].</p>")
    sup = soup_of(html).select_one("sup.citation")
    link = sup.a
    assert link["href"] == "#reference-2"
    assert link["id"] == "cite-2-1"
    assert link["aria-label"] == "Reference 2"
    assert link.get_text() == "[2]"
    # Set as a superscript right after the word it follows.
    assert soup_of(html).get_text() == "Most back pain eases in weeks[2]."


def test_a_list_gives_one_link_per_number():
    html = CitationLinker(3).link("<p>Walking helps [2, 3].</p>")
    links = citation_links(html)
    assert [(a["href"], a["id"], a.get_text()) for a in links] == [
        ("#reference-2", "cite-2-1", "2"),
        ("#reference-3", "cite-3-1", "3"),
    ]
    assert soup_of(html).select_one("sup.citation").get_text() == "[2,3]"


@pytest.mark.parametrize("marker", ["[1-3]", "[1–3]", "[1 – 3]"])
def test_a_range_links_every_number_in_it(marker):
    html = CitationLinker(4).link(f"<p>Exercise helps {marker}.</p>")
    assert [a["href"] for a in citation_links(html)] == [
        "#reference-1",
        "#reference-2",
        "#reference-3",
    ]
    assert soup_of(html).select_one("sup.citation").get_text() == "[1,2,3]"


def test_repeated_numbers_get_ids_of_their_own_across_blocks():
    linker = CitationLinker(3)
    first = linker.link("<p>One [1]. Again [1, 2].</p>")
    second = linker.link("<ul><li>Once more [1-2]</li></ul>")
    ids = [a["id"] for a in citation_links(first) + citation_links(second)]
    assert ids == ["cite-1-1", "cite-1-2", "cite-2-1", "cite-1-3", "cite-2-2"]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    "html",
    [
        '<p>See <a href="/guide/">the guide [1]</a>.</p>',
        "<h2>Why it hurts [1]</h2>",
        "<p>Type <code>[1]</code> after the sentence.</p>",
        "<pre>list[1]</pre>",
    ],
)
def test_markers_in_links_headings_and_code_are_left_alone(html):
    assert CitationLinker(3).link(html) == html


@pytest.mark.parametrize(
    "text",
    ["A [Gold] standard.", "The [sic] spelling.", "In [2019] it changed.", "A list[] here."],
)
def test_brackets_without_a_number_alone_are_text(text):
    html = f"<p>{text}</p>"
    assert CitationLinker(3).link(html) == html


def test_a_number_without_a_reference_stays_text():
    linker = CitationLinker(3)
    assert linker.link("<p>Unknown [7].</p>") == "<p>Unknown [7].</p>"
    assert CitationLinker(0).link("<p>No list [1].</p>") == "<p>No list [1].</p>"
    html = linker.link("<p>Mixed [2, 7] and [2-5].</p>")
    sups = soup_of(html).select("sup.citation")
    assert [sup.get_text() for sup in sups] == ["[2,7]", "[2,3,4–5]"]
    assert [a["href"] for a in citation_links(html)] == [
        "#reference-2",
        "#reference-2",
        "#reference-3",
    ]


def test_a_range_written_backwards_is_not_linked():
    assert CitationLinker(3).link("<p>Odd [3-1].</p>") == "<p>Odd [3-1].</p>"


def test_markers_are_counted_before_the_page_is_shown(home):
    page = ArticlePageFactory(
        parent=home,
        body=[
            references_block(3),
            paragraph("A [1] and [1, 3]; <a href='/x/'>not [2]</a>"),
            (
                "bullet_list",
                {
                    "heading": "Why [2]",
                    "style": "bullets",
                    "items": [{"text": "<p>Item [1–2]</p>", "sub_items": ["Sub [3]"]}],
                },
            ),
            ("callout", {"title": "", "body": "<p>Boxed [9] [3]</p>", "kind": "note"}),
            ("pull_quote", {"quote": "Quoted [1]", "attribution": ""}),
        ],
    )
    assert page_citations(page=page) == {1: 3, 2: 2, 3: 3}


def test_the_prose_blocks_are_those_the_glossary_links():
    assert set(PROSE_BLOCKS) == set(GLOSSARY_LINKED_BLOCKS)


# The page as readers see it


def article_with_references(home, **fields):
    return ArticlePageFactory(
        parent=home,
        slug="relief",
        body=[
            ("heading", {"text": "Why it hurts [1]", "level": "h2", "anchor": ""}),
            paragraph("Most back pain is not serious [1]. Moving helps [2, 3]."),
            # The list sits above some of the markers that cite it.
            references_block(3, doi=DOI, details="391(10137):2356-2367"),
            (
                "bullet_list",
                {
                    "heading": "",
                    "style": "bullets",
                    "items": [{"text": "<p>Walk daily [1-2]</p>", "sub_items": []}],
                },
            ),
            ("callout", {"title": "", "body": "<p>Keep going [1].</p>", "kind": "key-point"}),
        ],
        **fields,
    )


def test_the_article_links_its_markers_and_each_reference_links_back(client, home):
    page = article_with_references(home)
    response = client.get(page.url)
    assert response.status_code == 200
    html = soup_of(response.content.decode())

    cites = html.select("sup.citation a")
    assert [a["id"] for a in cites] == [
        "cite-1-1",
        "cite-2-1",
        "cite-3-1",
        "cite-1-2",
        "cite-2-2",
        "cite-1-3",
    ]
    for link in cites:
        assert html.select_one(link["href"]) is not None
    # The heading's marker is the author's words, not a citation.
    assert html.select_one(".article-body h2").get_text() == "Why it hurts [1]"

    entries = html.select("ol.reference-list > li")
    assert [li["id"] for li in entries] == ["reference-1", "reference-2", "reference-3"]
    back = {
        li["id"]: [
            (a["href"], a["aria-label"], a.get_text()) for a in li.select(".reference-back a")
        ]
        for li in entries
    }
    assert back["reference-1"] == [
        ("#cite-1-1", "Back to where reference 1 is cited (a)", "a"),
        ("#cite-1-2", "Back to where reference 1 is cited (b)", "b"),
        ("#cite-1-3", "Back to where reference 1 is cited (c)", "c"),
    ]
    assert back["reference-2"] == [
        ("#cite-2-1", "Back to where reference 2 is cited (a)", "a"),
        ("#cite-2-2", "Back to where reference 2 is cited (b)", "b"),
    ]
    single = html.select_one("#reference-3 a.reference-back")
    assert (single["href"], single["aria-label"], single.get_text()) == (
        "#cite-3-1",
        "Back to where reference 3 is cited",
        "↑",
    )
    # Every back link lands on a citation in the text.
    for li in entries:
        for link in li.select(".reference-back a, a.reference-back"):
            assert html.select_one(link["href"]).name == "a"


def test_the_kept_article_keeps_its_links_both_ways(client, home):
    page = article_with_references(home)
    first = soup_of(client.get(page.url).content.decode()).select_one(".article-body")
    kept = soup_of(client.get(page.url).content.decode()).select_one(".article-body")
    assert str(kept) == str(first)
    assert len(kept.select("sup.citation a")) == 6
    assert len(kept.select(".reference-back a, a.reference-back")) == 6


def test_an_entry_reads_as_a_reference_list_with_its_doi_or_address(client, home):
    page = ArticlePageFactory(
        parent=home,
        body=[
            paragraph("See [1], [2] and [3]."),
            (
                "references",
                {
                    "heading": "Sources",
                    "references": [
                        reference(
                            1,
                            authors="Hartvigsen J, Hancock MJ, Kongsted A, et al.",
                            title="What low back pain is and why we need to pay attention",
                            source="Lancet",
                            details="391(10137):2356-2367",
                            doi=DOI,
                            url="https://example.com/ignored-when-a-doi-is-given",
                        ),
                        reference(
                            2,
                            kind="book",
                            authors="McKenzie R",
                            title="Treat Your Own Back",
                            source="Spinal Publications",
                            year=2011,
                        ),
                        reference(
                            3,
                            kind="web",
                            authors="National Institute for Health and Care Excellence",
                            title="Low back pain and sciatica in over 16s: what to do?",
                            source="NICE",
                            year=2020,
                            url="https://www.nice.org.uk/guidance/ng59",
                        ),
                    ],
                },
            ),
        ],
    )
    html = soup_of(client.get(page.url).content.decode())
    assert html.select_one("#references-heading").get_text() == "Sources"

    journal = html.select_one("#reference-1")
    assert " ".join(journal.select_one(".reference-text").get_text().split()) == (
        "Hartvigsen J, Hancock MJ, Kongsted A, et al. What low back pain is and why we need "
        "to pay attention. Lancet 391(10137):2356-2367; 2018."
    )
    assert journal.select_one("cite").get_text() == "Lancet"
    (doi_link,) = journal.select("a.reference-link")
    assert doi_link["href"] == "https://doi.org/10.1016/S0140-6736(18)30480-X"
    assert doi_link.get_text() == f"doi:{DOI}"
    assert doi_link["rel"] == ["noopener"]

    book = html.select_one("#reference-2")
    assert " ".join(book.select_one(".reference-text").get_text().split()) == (
        "McKenzie R. Treat Your Own Back. Spinal Publications; 2011."
    )
    assert book.select_one("cite").get_text() == "Treat Your Own Back."
    assert not book.select("a.reference-link")

    web = html.select_one("#reference-3")
    assert " ".join(web.select_one(".reference-text").get_text().split()) == (
        "National Institute for Health and Care Excellence. Low back pain and sciatica in "
        "over 16s: what to do? NICE; 2020."
    )
    (url_link,) = web.select("a.reference-link")
    assert url_link["href"] == "https://www.nice.org.uk/guidance/ng59"
    assert url_link["rel"] == ["noopener"]


def test_an_uncited_reference_has_no_back_link(client, home):
    page = ArticlePageFactory(parent=home, body=[paragraph("Only [2]."), references_block(2)])
    html = soup_of(client.get(page.url).content.decode())
    assert not html.select("#reference-1 .reference-back, #reference-1 a.reference-back")
    assert html.select_one("#reference-2 a.reference-back")["href"] == "#cite-2-1"


def test_markers_and_glossary_terms_are_linked_side_by_side(client, home):
    GlossaryPageFactory(parent=home)
    # A definition with brackets of its own is shown as the glossary wrote it.
    GlossaryTermFactory(term="sciatica", definition="<p>Leg pain along the nerve [1].</p>")
    # A term that is only a number must not take the number out of a marker.
    GlossaryTermFactory(term="2")
    page = ArticlePageFactory(
        parent=home,
        body=[paragraph("Sciatica often settles [2]. Page 2 of the leaflet."), references_block(2)],
    )
    html = soup_of(client.get(page.url).content.decode())
    body = html.select_one(".article-body")
    assert [a.get_text() for a in body.select("a.glossary-term")] == ["Sciatica", "2"]
    (cite,) = body.select("sup.citation a")
    assert (cite["id"], cite.get_text()) == ("cite-2-1", "[2]")
    assert not cite.select(".glossary-mention")
    tooltip = body.select_one(".glossary-tooltip")
    assert tooltip.get_text() == "Leg pain along the nerve [1]."
    assert not tooltip.select("sup, a")
    assert html.select_one("#reference-2 a.reference-back")["href"] == "#cite-2-1"


def test_markers_are_linked_without_the_glossary(client, home):
    page = article_with_references(home, link_glossary_terms=False)
    html = soup_of(client.get(page.url).content.decode())
    assert len(html.select("sup.citation a")) == 6


def test_markers_work_on_a_standard_page(client, home):
    page = StandardPageFactory(
        parent=home,
        slug="about",
        body=[
            references_block(2),
            paragraph("As shown [1, 2]."),
            ("pull_quote", {"quote": "A quote [1]", "attribution": ""}),
        ],
    )
    html = soup_of(client.get(page.url).content.decode())
    assert [a["id"] for a in html.select("sup.citation a")] == ["cite-1-1", "cite-2-1"]
    assert html.select_one("blockquote").get_text(strip=True) == "A quote [1]"
    assert html.select_one("#reference-1 a.reference-back")["href"] == "#cite-1-1"


def article_queries(client, home, count: int) -> int:
    ArticlePage.objects.all().delete()
    page = ArticlePageFactory(
        parent=home,
        slug="relief",
        body=[
            paragraph(" ".join(f"Point [{n}]." for n in range(1, count + 1))),
            paragraph(f"All of them [1-{count}]."),
            references_block(count, doi=DOI),
        ],
    )
    client.get(page.url)  # settings rows are created on the first visit of a site
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page.url)
    assert response.status_code == 200
    assert len(citation_links(response.content.decode())) == 2 * count
    return len(queries)


def test_the_article_reads_the_database_no_more_with_more_references(client, home):
    assert article_queries(client, home, 3) == article_queries(client, home, 60)


# What the CMS refuses


def stream_errors(body: list) -> dict:
    block = ArticleStreamBlock()
    with pytest.raises(StreamBlockValidationError) as raised:
        block.clean(block.to_python([{"type": t, "value": v} for t, v in body]))
    return raised.value.as_json_data()


def test_a_marker_citing_a_missing_reference_is_refused():
    errors = stream_errors(
        [
            paragraph("Fine [3]. Too far [4]. Also [2, 5-6]."),
            references_block(3),
            ("callout", {"title": "", "body": "<p>Boxed [0]</p>", "kind": "note"}),
        ]
    )
    assert errors["blockErrors"] == {
        0: {
            "messages": [
                "[4] cites reference 4, but the References block has 3 entries.",
                "[2, 5-6] cites references 5–6, but the References block has 3 entries.",
            ]
        },
        2: {"messages": ["[0] cites reference 0, but the References block has 3 entries."]},
    }


def test_a_marker_without_a_references_block_is_refused():
    errors = stream_errors(
        [
            (
                "bullet_list",
                {
                    "heading": "",
                    "style": "bullets",
                    "items": [{"text": "<p>Walk [1]</p>", "sub_items": ["and rest [1, 2]"]}],
                },
            )
        ]
    )
    assert errors["blockErrors"][0]["messages"] == [
        "[1] cites reference 1, but the page has no References block: add one with the "
        "sources, or remove the marker.",
        "[1, 2] cites references 1 and 2, but the page has no References block: add one "
        "with the sources, or remove the marker.",
    ]


def test_a_range_written_backwards_is_refused():
    errors = stream_errors([paragraph("Odd [3–1]."), references_block(3)])
    assert errors["blockErrors"][0]["messages"] == [
        "[3–1] has a range written backwards: write it 1–3."
    ]


def test_markers_the_page_does_not_link_are_not_checked():
    block = ArticleStreamBlock()
    body = [
        ("heading", {"text": "Why [9]", "level": "h2", "anchor": ""}),
        paragraph('A [Gold] standard, <a href="https://example.com/">page [9]</a>, [2019].'),
        ("pull_quote", {"quote": "Quoted [9]", "attribution": ""}),
    ]
    cleaned = block.clean(block.to_python([{"type": t, "value": v} for t, v in body]))
    assert len(cleaned) == 3


def test_other_errors_are_shown_with_the_markers_problems():
    errors = stream_errors([paragraph("Too far [2]."), references_block(1), references_block(1)])
    assert errors["messages"] == ["References: The maximum number of items is 1"]
    assert errors["blockErrors"][0]["messages"] == [
        "[2] cites reference 2, but the References block has 1 entry."
    ]


def test_a_doi_link_is_kept_as_the_doi_alone():
    block = ReferenceBlock()
    for pasted in (
        f"https://doi.org/{DOI}",
        f"http://dx.doi.org/{DOI}",
        f"doi: {DOI}",
        "https://doi.org/10.1016/S0140-6736%2818%2930480-X",
    ):
        cleaned = block.clean(block.to_python(reference(1, doi=pasted)))
        assert cleaned["doi"] == DOI
    assert doi_alone(DOI) == DOI
    with pytest.raises(StructBlockValidationError) as raised:
        block.clean(block.to_python(reference(1, doi="https://example.com/paper")))
    assert raised.value.as_json_data()["blockErrors"]["doi"]["messages"] == [
        "Give the DOI alone, starting with 10., e.g. 10.1016/S0140-6736(18)30480-X."
    ]


def test_a_year_still_to_come_is_refused():
    block = ReferenceBlock()
    next_year = timezone.localdate().year + 1
    assert block.clean(block.to_python(reference(1, year=next_year)))["year"] == next_year
    with pytest.raises(StructBlockValidationError) as raised:
        block.clean(block.to_python(reference(1, year=next_year + 1)))
    assert raised.value.as_json_data()["blockErrors"]["year"]["messages"] == [
        f"{next_year + 1} is in the future: give the year the source was published."
    ]


# Through the CMS's own page editor


@pytest.fixture
def editor(client, django_user_model):
    user = django_user_model.objects.create_user(
        "editor", "editor@example.com", "a-long-pass-phrase", is_staff=False
    )
    user.groups.add(Group.objects.get(name="Moderators"))
    response = client.post("/cms/login/", {"username": "editor", "password": "a-long-pass-phrase"})
    assert response.status_code == 302
    return user


def list_block(items: list) -> dict:
    data = {str(i): {"value": item, "deleted": "", "order": str(i)} for i, item in enumerate(items)}
    data["count"] = str(len(items))
    return data


def article_form(text: str, references: list) -> dict:
    body = [("paragraph", rich_text(f"<p>{text}</p>"))]
    if references:
        body.append(("references", {"heading": "References", "references": list_block(references)}))
    return nested_form_data(
        {
            "title": "Relief",
            "slug": "relief",
            "lead": "Lead.",
            "symptoms_heading": "Symptoms",
            "symptoms": streamfield([]),
            "tried_heading": "Tried",
            "tried": streamfield([]),
            "body": streamfield(body),
            "link_glossary_terms": "on",
            "show_trust_badges": "on",
            "action-publish": "action-publish",
        }
    )


def test_the_editor_refuses_a_marker_beyond_the_references(client, editor, home):
    page = ArticlePageFactory(parent=home, slug="relief")
    edit_url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    references = [reference(n) for n in (1, 2, 3)]
    response = client.post(edit_url, article_form("Moving helps [4].", references))
    assert response.status_code == 200
    assert "[4] cites reference 4, but the References block has 3 entries." in (
        response.content.decode()
    )
    page.refresh_from_db()
    assert len(page.body) == 0
    assert page.revisions.count() == 0


def test_the_editor_publishes_markers_and_a_pasted_doi_link(client, editor, home):
    page = ArticlePageFactory(parent=home, slug="relief")
    edit_url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    references = [reference(1, doi=f"https://doi.org/{DOI}"), reference(2, year=2020)]
    response = client.post(edit_url, article_form("Moving helps [1–2].", references))
    assert response.status_code == 302, response.content.decode()[:2000]
    page.refresh_from_db()
    assert page.body[1].value["references"][0]["doi"] == DOI
    client.logout()
    html = soup_of(client.get(page.url).content.decode())
    assert [a["href"] for a in html.select("sup.citation a")] == ["#reference-1", "#reference-2"]
    assert html.select_one("#reference-1 a.reference-link")["href"] == f"https://doi.org/{DOI}"


def test_the_editor_refuses_a_year_still_to_come(client, editor, home):
    page = ArticlePageFactory(parent=home, slug="relief")
    edit_url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    year = timezone.localdate().year + 5
    response = client.post(edit_url, article_form("See [1].", [reference(1, year=year)]))
    assert response.status_code == 200
    assert f"{year} is in the future" in response.content.decode()
    assert page.revisions.count() == 0
