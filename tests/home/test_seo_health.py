"""What search engines read about the health pages: an article as a MedicalWebPage with its
condition, readers, reviewer and sources; the Q&A with its review; every block valid in the
schema.org vocabulary; and never review or rating markup for the author's own program."""

import datetime
import json
import re
from io import BytesIO

import pytest
from django.core.cache import cache
from django.core.files.images import ImageFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from oscar.core.loading import get_model
from PIL import Image as PILImage
from wagtail.images.models import Image
from wagtail.models import Site

from home.models import (
    ArticlePage,
    AuthorProfile,
    GlossaryPage,
    HomePage,
    MedicalReviewer,
    QAItem,
    QAPage,
    TestimonialsPage,
)
from home.models.site_settings import SiteSettings
from home.seo import page_seo
from home.templatetags import seo_tags
from tests.home.factories import (
    ArticlePageFactory,
    AuthorProfileFactory,
    MedicalReviewerFactory,
    QAPageFactory,
    TestimonialFactory,
)
from tests.support.schema_org import schema_org_problems

pytestmark = pytest.mark.django_db

JSON_LD = re.compile(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', re.S)
# Review and rating markup: for the author's own program, search engines count it as
# self-serving, and testimonials are not reviews.
RATING_TYPES = {"Review", "AggregateRating", "Rating", "EmployerAggregateRating", "CriticReview"}
RATING_KEYS = {"review", "reviews", "aggregateRating", "reviewRating", "contentRating"}


@pytest.fixture
def media_in_tmp(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": "/media/"},
        },
    }


def wagtail_image(title: str) -> Image:
    buffer = BytesIO()
    PILImage.new("RGB", (600, 600), (90, 120, 150)).save(buffer, "PNG")
    return Image.objects.create(
        title=title, file=ImageFile(buffer, name=f"{title.lower().replace(' ', '-')}.png")
    )


def json_ld_blocks(html: str) -> list[dict]:
    return [json.loads(text) for text in JSON_LD.findall(html)]


def json_ld_of(html: str) -> dict[str, dict]:
    return {block["@type"]: block for block in json_ld_blocks(html)}


def rating_markup(data) -> list[str]:
    """Every Review or rating type or property anywhere in the data."""
    found = []
    if isinstance(data, list):
        for item in data:
            found += rating_markup(item)
    elif isinstance(data, dict):
        types = data.get("@type", [])
        for name in [types] if isinstance(types, str) else types:
            if name in RATING_TYPES:
                found.append(name)
        for key, value in data.items():
            if key in RATING_KEYS:
                found.append(key)
            found += rating_markup(value)
    return found


def photo_url(image) -> str:
    return f"http://testserver{image.get_rendition('fill-400x400').url}"


# The checker itself: it passes what schema.org allows and names what it does not.

VALID_PAGE = {
    "@context": "https://schema.org",
    "@type": "MedicalWebPage",
    "headline": "Why the back tightens",
    "url": "https://example.com/why/",
    "description": "See https://example.com/more/ for more.",  # a URL is a Text too
    "datePublished": "2024-03-01T09:30:00Z",
    "lastReviewed": "2025-06-10",
    "audience": {"@type": "Patient"},
    "reviewedBy": {
        "@type": ["Person", "Patient"],
        "name": "Dana",
        "healthCondition": {"@type": "MedicalCondition", "name": "Low back pain"},
    },
    "citation": [
        "Hanna T. Somatics. 1988.",
        {"@type": "Book", "name": "Somatics", "datePublished": "1988", "numberOfPages": 192},
    ],
    "offers": {
        "@type": "Offer",
        "price": "197.00",
        "availability": "https://schema.org/InStock",
    },
    "isAccessibleForFree": True,
}


def test_the_checker_passes_a_valid_document():
    assert schema_org_problems(VALID_PAGE) == []
    assert schema_org_problems([VALID_PAGE, {**VALID_PAGE, "@type": "FAQPage"}]) == []
    graph = {"@context": "https://schema.org", "@graph": [{**VALID_PAGE, "@context": None}]}
    assert schema_org_problems(graph) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"headlin": "Why"}, "$.headlin: unknown property 'headlin'"),
        ({"@type": "MedicalWebpage"}, "$: unknown type 'MedicalWebpage'"),
        ({"price": "10"}, "$.price: not a property of MedicalWebPage"),
        ({"lastReviewed": "2025-02-30"}, "$.lastReviewed: '2025-02-30' is not Date"),
        ({"lastReviewed": "10/06/2025"}, "$.lastReviewed: '10/06/2025' is not Date"),
        (
            {"lastReviewed": "2025-06-10T10:00:00Z"},
            "$.lastReviewed: '2025-06-10T10:00:00Z' is not Date",
        ),
        ({"datePublished": "yesterday"}, "$.datePublished: 'yesterday' is not Date or DateTime"),
        ({"url": "/why/"}, "$.url: '/why/' is not URL"),
        ({"reviewedBy": "Dana Ruiz"}, "$.reviewedBy: 'Dana Ruiz' is not Organization or Person"),
        (
            {"reviewedBy": {"@type": "Book", "name": "Dana"}},
            "$.reviewedBy: a Book where Organization or Person is expected",
        ),
        # The address of a type is not a value of it: only an enumeration's members are.
        (
            {"audience": "https://schema.org/Patient"},
            "$.audience: 'https://schema.org/Patient' is not Audience",
        ),
        (
            {"offers": {"@type": "Offer", "availability": "https://schema.org/Patient"}},
            "$.offers.availability: 'https://schema.org/Patient' is not ItemAvailability",
        ),
        ({"isAccessibleForFree": "yes"}, "$.isAccessibleForFree: 'yes' is not Boolean"),
        (
            {"citation": [{"@type": "Book", "name": "Somatics", "numberOfPages": "many"}]},
            "$.citation[0].numberOfPages: 'many' is not Integer",
        ),
        (
            {"reviewedBy": {"@type": "Person", "name": "Dana", "isbn": "1"}},
            "$.reviewedBy.isbn: not a property of Person",
        ),
        # A Patient may have a health condition; a Person who is only a Person may not.
        (
            {"reviewedBy": {"@type": "Person", "name": "Dana", "healthCondition": "Sciatica"}},
            "$.reviewedBy.healthCondition: not a property of Person",
        ),
        ({"audience": {"name": "Patients"}}, "$.audience: a node without @type"),
        ({"description": ""}, "$.description: empty value ''"),
        ({"citation": []}, "$.citation: empty value []"),
        ({"reviews": [{"@type": "Review"}]}, "$.reviews: superseded by review"),
        ({"@context": "https://example.com"}, "$: @context is not schema.org"),
        ({"@context": {"@vocab": "https://example.com/"}}, "$: @context is not schema.org"),
    ],
)
def test_the_checker_names_what_schema_org_does_not_allow(change, problem):
    problems = schema_org_problems({**VALID_PAGE, **change})
    assert any(found.startswith(problem) for found in problems), problems


JOURNAL = {
    "authors": "Hartvigsen J, Hancock MJ, Kongsted A, et al.",
    "title": "What low back pain is and why we need to pay attention",
    "kind": "journal",
    "source": "The Lancet",
    "year": 2018,
    "details": "391(10137):2356-2367",
    "doi": "10.1016/S0140-6736(18)30480-X",
    "url": "",
}
BOOK = {
    "authors": "Hanna T",
    "title": "Somatics: Reawakening the Mind's Control of Movement, Flexibility, and Health",
    "kind": "book",
    "source": "Da Capo Press",
    "year": 1988,
    "details": "",
    "doi": "",
    "url": "",
}
WEB = {
    "authors": "World Health Organization",
    "title": "Low back pain: fact sheet",
    "kind": "web",
    "source": "World Health Organization",
    "year": 2023,
    "details": "",
    "doi": "",
    "url": "https://www.who.int/news-room/fact-sheets/detail/low-back-pain",
}


def references_block(*entries) -> tuple:
    return ("references", {"heading": "References", "references": list(entries)})


@pytest.fixture
def organisation():
    site = Site.objects.get(is_default_site=True)
    settings = SiteSettings.for_site(site)
    settings.organisation_name = "Essential Somatics"
    settings.save()
    return settings.organisation_name


def reviewer_with(photo) -> MedicalReviewer:
    return MedicalReviewerFactory(
        name="Dana Ruiz",
        post_nominals="D.P.T.",
        credentials="Doctor of Physical Therapy, board-certified in orthopaedics",
        profile_url="https://clinic.example.com/dana-ruiz/",
        bio="Treats back pain in Santa Fe.\nTeaches movement.",
        photo=photo,
    )


def author_with(photo) -> AuthorProfile:
    return AuthorProfileFactory(
        name="Lawrence Gold",
        post_nominals="C.H.S.E.",
        credentials="Certified Practitioner, Hanna Somatic Education",
        bio="Has taught somatic education since the early 1990s.",
        photo=photo,
        linkedin_url="https://www.linkedin.com/in/lawrence-gold/",
        personal_page_url="https://www.example.com/lawrence-gold/",
    )


def reviewed_article_by(*, author, reviewer) -> ArticlePage:
    return ArticlePageFactory(
        parent=HomePage.objects.get(),
        title="Why the back tightens",
        slug="why-the-back-tightens",
        seo_title="Why your lower back tightens",
        search_description="How muscles learn to stay tight, and how they learn to let go.",
        lead="A short lead.",
        author=author,
        article_date=datetime.date(2024, 3, 1),
        last_updated_on=datetime.date(2025, 6, 2),
        condition="Low back pain",
        reviewed_by=reviewer,
        last_reviewed_on=datetime.date(2025, 6, 10),
        body=[
            ("paragraph", "<p>Most back pain is muscular [1, 2].</p>"),
            ("testimonial", {"testimonial": TestimonialFactory(), "show_as": "quote"}),
            references_block(JOURNAL, BOOK, WEB),
        ],
    )


def reviewer_person(reviewer) -> dict:
    """The reviewer made by ``reviewer_with`` as the JSON-LD names them, in full."""
    return {
        "@type": "Person",
        "name": "Dana Ruiz",
        "honorificSuffix": "D.P.T.",
        "hasCredential": {
            "@type": "EducationalOccupationalCredential",
            "name": "Doctor of Physical Therapy, board-certified in orthopaedics",
        },
        "description": "Treats back pain in Santa Fe. Teaches movement.",
        "url": "https://clinic.example.com/dana-ruiz/",
        "sameAs": ["https://clinic.example.com/dana-ruiz/"],
        "image": photo_url(reviewer.photo),
    }


@pytest.fixture
def reviewer(media_in_tmp):
    return reviewer_with(wagtail_image("Dana Ruiz"))


@pytest.fixture
def author(media_in_tmp):
    return author_with(wagtail_image("Lawrence Gold"))


@pytest.fixture
def reviewed_article(organisation, reviewer, author):
    return reviewed_article_by(author=author, reviewer=reviewer)


def test_an_article_with_a_reviewer_and_three_references(client, reviewed_article):
    page, reviewer, author = reviewed_article, reviewed_article.reviewed_by, reviewed_article.author
    html = client.get(page.url).content.decode()
    data = json_ld_of(html)
    assert "Article" not in data
    url = page.get_full_url()
    assert data["MedicalWebPage"] == {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "headline": "Why your lower back tightens",
        "url": url,
        "mainEntityOfPage": url,
        "description": "How muscles learn to stay tight, and how they learn to let go.",
        "datePublished": "2024-03-01",
        # The day the author says it changed in substance, not the last publication.
        "dateModified": "2025-06-02",
        "author": {
            "@type": "Person",
            "name": "Lawrence Gold",
            "honorificSuffix": "C.H.S.E.",
            "hasCredential": {
                "@type": "EducationalOccupationalCredential",
                "name": "Certified Practitioner, Hanna Somatic Education",
            },
            "description": "Has taught somatic education since the early 1990s.",
            "url": "https://www.example.com/lawrence-gold/",
            "sameAs": [
                "https://www.linkedin.com/in/lawrence-gold/",
                "https://www.example.com/lawrence-gold/",
            ],
            "image": photo_url(author.photo),
        },
        "publisher": {"@type": "Organization", "name": "Essential Somatics"},
        "about": {"@type": "MedicalCondition", "name": "Low back pain"},
        "audience": {"@type": "Patient"},
        "reviewedBy": reviewer_person(reviewer),
        "lastReviewed": "2025-06-10",
        "citation": [
            {
                "@type": "ScholarlyArticle",
                "name": "What low back pain is and why we need to pay attention",
                "isPartOf": {"@type": "Periodical", "name": "The Lancet"},
                "author": [
                    {"@type": "Person", "name": "Hartvigsen J"},
                    {"@type": "Person", "name": "Hancock MJ"},
                    {"@type": "Person", "name": "Kongsted A"},
                ],
                "datePublished": "2018",
                "url": "https://doi.org/10.1016/S0140-6736(18)30480-X",
                "sameAs": "https://doi.org/10.1016/S0140-6736(18)30480-X",
                "identifier": {
                    "@type": "PropertyValue",
                    "propertyID": "DOI",
                    "value": "10.1016/S0140-6736(18)30480-X",
                },
            },
            {
                "@type": "Book",
                "name": (
                    "Somatics: Reawakening the Mind's Control of Movement, Flexibility, and Health"
                ),
                "publisher": {"@type": "Organization", "name": "Da Capo Press"},
                "author": [{"@type": "Person", "name": "Hanna T"}],
                "datePublished": "1988",
            },
            {
                "@type": "WebPage",
                "name": "Low back pain: fact sheet",
                "publisher": {"@type": "Organization", "name": "World Health Organization"},
                "author": [{"@type": "Organization", "name": "World Health Organization"}],
                "datePublished": "2023",
                "url": "https://www.who.int/news-room/fact-sheets/detail/low-back-pain",
            },
        ],
    }
    assert schema_org_problems(data["MedicalWebPage"]) == []
    assert rating_markup(json_ld_blocks(html)) == []


def test_an_article_without_review_or_references_says_only_what_is_known(client, organisation):
    page = ArticlePageFactory(
        parent=HomePage.objects.get(),
        slug="plain",
        title="Plain article",
        lead="",
        search_description="",
        article_date=datetime.date(2024, 5, 6),
        body=[("paragraph", "<p>Words.</p>")],
    )
    # A typo fix published later is no change in substance.
    page.title = "Plain article, fixed"
    page.save_revision().publish()
    page.refresh_from_db()
    assert page.last_published_at.date() > datetime.date(2024, 5, 6)

    data = json_ld_of(client.get(page.url).content.decode())["MedicalWebPage"]
    url = page.get_full_url()
    assert data == {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "headline": "Plain article, fixed",
        "url": url,
        "mainEntityOfPage": url,
        "datePublished": "2024-05-06",
        "dateModified": "2024-05-06",
        "publisher": {"@type": "Organization", "name": "Essential Somatics"},
        "audience": {"@type": "Patient"},
    }
    assert schema_org_problems(data) == []


def test_an_article_with_no_byline_date_is_dated_by_its_first_publication(client):
    page = ArticlePageFactory(parent=HomePage.objects.get(), slug="undated", body=[])
    page.save_revision().publish()
    page.refresh_from_db()
    data = json_ld_of(client.get(page.url).content.decode())["MedicalWebPage"]
    first = page.first_published_at.date().isoformat()
    assert (data["datePublished"], data["dateModified"]) == (first, first)


def test_a_reference_with_both_an_address_and_a_doi_and_authors_surname_first(client):
    report = {
        **WEB,
        "kind": "web",
        "authors": "Foster, N. E.; Anema, J. R. & Cherkin, D.",
        "doi": "10.1016/S0140-6736(18)30489-6",
        "url": "https://example.org/report",
    }
    # A DOI pasted with its address is the DOI alone.
    book_by_doi = {**BOOK, "doi": "https://doi.org/10.1000/book", "url": ""}
    page = ArticlePageFactory(
        parent=HomePage.objects.get(),
        slug="cited",
        body=[references_block(report, book_by_doi)],
    )
    citation = json_ld_of(client.get(page.url).content.decode())["MedicalWebPage"]["citation"]
    assert citation[0]["@type"] == "WebPage"
    assert citation[0]["url"] == "https://example.org/report"
    assert citation[0]["sameAs"] == "https://doi.org/10.1016/S0140-6736(18)30489-6"
    assert [person["name"] for person in citation[0]["author"]] == [
        "Foster, N. E.",
        "Anema, J. R.",
        "Cherkin, D.",
    ]
    assert citation[1]["@type"] == "Book"
    assert citation[1]["url"] == "https://doi.org/10.1000/book"
    assert citation[1]["identifier"]["value"] == "10.1000/book"
    assert schema_org_problems(json_ld_blocks(client.get(page.url).content.decode())) == []


def test_the_qa_page_carries_its_review(client, reviewer):
    page = QAPageFactory(
        parent=HomePage.objects.get(),
        slug="questions",
        condition="Low back pain",
        reviewed_by=reviewer,
        last_reviewed_on=datetime.date(2025, 4, 1),
        last_updated_on=datetime.date(2025, 3, 15),
    )
    QAItem.objects.create(
        page=page, sort_order=0, question="Is it safe?", answer="<p>Yes, <b>gently</b>.</p>"
    )
    data = json_ld_of(client.get(page.url).content.decode())
    assert data["FAQPage"] == {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "mainEntity": [
            {
                "@type": "Question",
                "name": "Is it safe?",
                "acceptedAnswer": {"@type": "Answer", "text": "Yes, gently."},
            }
        ],
        "about": {"@type": "MedicalCondition", "name": "Low back pain"},
        "audience": {"@type": "Patient"},
        "reviewedBy": reviewer_person(reviewer),
        "lastReviewed": "2025-04-01",
        "dateModified": "2025-03-15",
    }
    # FAQPage is a WebPage: the review's properties are its own.
    assert schema_org_problems(list(data.values())) == []


def test_a_review_whose_reviewer_was_deleted_is_not_told(client, reviewed_article):
    reviewed_article.reviewed_by.delete()
    data = json_ld_of(client.get(reviewed_article.url).content.decode())["MedicalWebPage"]
    assert "reviewedBy" not in data and "lastReviewed" not in data
    assert data["about"] == {"@type": "MedicalCondition", "name": "Low back pain"}


def test_a_qa_page_never_reviewed_has_no_review_keys(client):
    page = QAPageFactory(parent=HomePage.objects.get(), slug="questions")
    QAItem.objects.create(page=page, sort_order=0, question="Why?", answer="<p>Because.</p>")
    faq = json_ld_of(client.get(page.url).content.decode())["FAQPage"]
    assert set(faq) == {"@context", "@type", "mainEntity", "audience"}


@pytest.fixture
def demo(demo_site):
    return demo_site


def test_every_json_ld_block_of_the_health_pages_and_the_shop_is_valid(client, demo):
    # The demo's own pictures: their files are where the demo put them.
    first, second = Image.objects.order_by("pk")[:2]
    reviewed_article = reviewed_article_by(
        author=author_with(first), reviewer=reviewer_with(second)
    )
    qa = QAPage.objects.live().get()
    qa.condition = "Low back pain"
    qa.reviewed_by = reviewed_article.reviewed_by
    qa.last_reviewed_on = datetime.date(2025, 4, 1)
    qa.last_updated_on = datetime.date(2025, 3, 15)
    qa.save_revision().publish()
    testimonials = TestimonialsPage.objects.live().get()
    product = get_model("catalogue", "Product").objects.get(upc="GFTBP-DOWNLOAD")
    glossary = GlossaryPage.objects.live().get()
    urls = {
        "home article": demo.url,
        "reviewed article": reviewed_article.url,
        "Q&A": qa.url,
        "testimonials": testimonials.url,
        "glossary": glossary.url,
        "program in the shop": product.get_absolute_url(),
    }
    seen_types = set()
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, name
        html = response.content.decode()
        blocks = json_ld_blocks(html)
        assert blocks, name
        assert schema_org_problems(blocks) == [], name
        assert rating_markup(blocks) == [], name
        seen_types |= {block["@type"] for block in blocks}
        if name == "testimonials":
            # The page shows testimonials; none of them becomes review markup.
            assert html.count('class="testimonial') >= 1
    assert {"MedicalWebPage", "FAQPage", "Product", "BreadcrumbList"} <= seen_types


def test_testimonials_never_become_review_markup(client, demo):
    for _ in range(3):
        TestimonialFactory(credentials="M.D.", organisation="Clinic")
    html = client.get(TestimonialsPage.objects.live().get().url).content.decode()
    head = html.split("</head>", 1)[0]
    for word in ("Review", "Rating", "reviewRating", "aggregateRating", '"review"'):
        assert word not in head
    assert rating_markup(json_ld_blocks(html)) == []


def test_a_change_to_the_reviewer_shows_on_the_next_request(
    client, django_user_model, monkeypatch, reviewed_article
):
    # The JSON-LD is kept in the shared cache: it must not outlive an edit of the reviewer.
    def reviewed_by():
        html = client.get(reviewed_article.url).content.decode()
        return json_ld_of(html)["MedicalWebPage"]["reviewedBy"]

    built = []

    def page_seo_counted(**kwargs):
        built.append(kwargs["page"].pk)
        return page_seo(**kwargs)

    monkeypatch.setattr(seo_tags, "page_seo", page_seo_counted)
    assert reviewed_by()["name"] == "Dana Ruiz"
    assert reviewed_by()["name"] == "Dana Ruiz"
    assert len(built) == 1  # the second time from the cache

    reviewer = reviewed_article.reviewed_by
    editor = type(client)()
    editor.force_login(
        django_user_model.objects.create_superuser("editor", "editor@example.com", "pw")
    )
    response = editor.post(
        reverse("wagtailsnippets_home_medicalreviewer:edit", args=[reviewer.pk]),
        {
            "name": "Dana Ruiz-Ortega",
            "post_nominals": "D.P.T., O.C.S.",
            "credentials": reviewer.credentials,
            "profile_url": reviewer.profile_url,
            "photo": reviewer.photo_id,
            "bio": reviewer.bio,
        },
    )
    assert response.status_code == 302
    assert reviewed_by()["name"] == "Dana Ruiz-Ortega"
    assert reviewed_by()["honorificSuffix"] == "D.P.T., O.C.S."
    assert len(built) == 2


def seo_queries(client, page) -> int:
    client.get(page.url)  # settings rows and renditions are made on the first visit
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page.url)
    assert response.status_code == 200
    return len(queries)


def test_citations_cost_no_query_each(client, organisation, reviewer, author):
    def article(slug: str, references: int):
        return ArticlePageFactory(
            parent=HomePage.objects.get(),
            slug=slug,
            author=author,
            condition="Low back pain",
            reviewed_by=reviewer,
            last_reviewed_on=datetime.date(2025, 6, 10),
            body=[references_block(*[JOURNAL] * references)],
        )

    # Nothing kept from earlier tests: a rendition kept for an earlier test's image of the
    # same id would be used without its row, and the first visit would make none.
    cache.clear()
    few, many = article("few", 1), article("many", 30)
    assert (
        len(json_ld_of(client.get(many.url).content.decode())["MedicalWebPage"]["citation"]) == 30
    )
    assert seo_queries(client, many) == seo_queries(client, few)
