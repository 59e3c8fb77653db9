"""The site search finds pages, glossary terms and the program, and helps when it finds none."""

import pytest

from home.models import GlossaryPage, QAPage
from home.site_search import text_highlight
from tests.home.factories import GlossaryTermFactory, StandardPageFactory
from tests.shop.factories import ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(demo_site):
    return demo_site


def test_search_finds_a_page_a_glossary_term_and_the_program(client, demo):
    StandardPageFactory(parent=demo, title="Zebrafish stretches", slug="zebrafish")
    GlossaryTermFactory(term="Zebrafish reflex", definition="<p>A made-up reflex.</p>")
    ProgramFactory(title="Zebrafish program")
    response = client.get("/search/", {"q": "zebrafish"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<mark>Zebrafish</mark> stretches" in html
    assert "<mark>Zebrafish</mark> reflex" in html
    assert "<mark>Zebrafish</mark> program" in html
    glossary = GlossaryPage.objects.get()
    assert f'href="{glossary.url}#term-zebrafish-reflex"' in html
    assert response.context["hit_count"] == 3


def test_search_skips_drafts(client, demo):
    StandardPageFactory(parent=demo, title="Quokka draft", slug="quokka", live=False)
    response = client.get("/search/", {"q": "quokka"})
    assert response.context["hit_count"] == 0


def test_highlighting_escapes_the_text_and_the_query(client, demo):
    assert text_highlight(text="<b>Back</b> pain", words=["back"]) == (
        "&lt;b&gt;<mark>Back</mark>&lt;/b&gt; pain"
    )
    html = client.get("/search/", {"q": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)</script>" not in html


def test_empty_state_suggests_the_glossary_the_qa_and_the_article(client, demo):
    response = client.get("/search/", {"q": "xylophonist"})
    html = response.content.decode()
    assert "Nothing on the site matches" in html
    for page in (GlossaryPage.objects.get(), QAPage.objects.get(), demo):
        assert f'href="{page.url}"' in html


def test_results_are_paginated(client, demo):
    for n in range(12):
        StandardPageFactory(parent=demo, title=f"Wombat walk {n}", slug=f"wombat-{n}")
    first = client.get("/search/", {"q": "wombat"})
    assert first.context["hit_count"] == 12
    assert len(first.context["results"].object_list) == 10
    second = client.get("/search/", {"q": "wombat", "page": 2})
    assert len(second.context["results"].object_list) == 2
