"""The article page reads the database a fixed number of times, however many glossary terms
and testimonials the author has written."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from home.models import ArticlePage, GlossaryPage, GlossaryTerm, HomePage, Testimonial
from tests.home.factories import (
    ArticlePageFactory,
    GlossaryPageFactory,
    MedicalReviewerFactory,
    bulk_glossary_terms,
    bulk_testimonials,
)
from tests.shop.factories import ProgramFactory

pytestmark = pytest.mark.django_db


def build_article(n: int):
    home = HomePage.objects.get()
    GlossaryPageFactory(parent=home)
    terms = bulk_glossary_terms(n)
    testimonials = bulk_testimonials(n)
    product = ProgramFactory()
    mentions = " ".join(term.term for term in terms[:: max(1, n // 10)])
    return ArticlePageFactory(
        parent=home,
        slug="article",
        reviewed_by=MedicalReviewerFactory(),
        last_reviewed_on=datetime.date(2026, 1, 15),
        body=[
            ("heading", {"text": "Section", "level": "h2", "anchor": ""}),
            ("contents", {"heading": "Topics"}),
            ("paragraph", f"<p>Words about {mentions}.</p>"),
            (
                "bullet_list",
                {
                    "heading": "",
                    "style": "bullets",
                    "items": [{"text": f"<p>{terms[0].term}</p>", "sub_items": ["a"]}],
                },
            ),
            *[("testimonial", {"testimonial": t, "show_as": "quote"}) for t in testimonials],
            (
                "glossary_terms",
                {"heading": "Terms", "terms": terms, "show_definitions": True},
            ),
            ("offer", {"heading": "Try", "product": product, "button_text": "Start"}),
        ],
    )


def render_and_count(client, page) -> int:
    client.get(page.url)  # settings rows are created on the first visit of a site
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page.url)
    assert response.status_code == 200
    assert "glossary-term" in response.content.decode()
    return len(queries)


@pytest.mark.parametrize("n", [10, 300])
def test_article_queries_do_not_grow_with_terms_and_testimonials(
    client, n, django_assert_max_num_queries
):
    page = build_article(n)
    cache.clear()
    # 28 today on this first visit, with the rows of the settings made: the medical review
    # line reads the reviewer (one query), the medical disclaimer its settings (one query,
    # Wagtail's per-request read, and its row made on the first visit).
    with django_assert_max_num_queries(30):
        response = client.get(page.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Medically reviewed by" in html
    assert html.count('class="testimonial testimonial-quote"') == n
    # A long glossary is a letter a page: /glossary/#term-x or /glossary/x/#term-x.
    assert html.count('<dt><a href="/glossary/') == n


def test_article_queries_are_the_same_at_10_and_300(client):
    small = render_and_count(client, build_article(10))
    # The same page again, with thirty times the terms and testimonials.
    ArticlePage.objects.all().delete()
    GlossaryPage.objects.all().delete()
    GlossaryTerm.objects.all().delete()
    Testimonial.objects.all().delete()
    large = render_and_count(client, build_article(300))
    assert large == small
