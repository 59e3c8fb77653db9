"""The content API: Wagtail's pages, images and documents, and our own read endpoints."""

import pytest
from wagtail.models import PageViewRestriction

from home.models import GlossaryTerm, QAPage, Testimonial
from tests.home.factories import StandardPageFactory, TestimonialFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(demo_site):
    return demo_site


def test_pages_list_only_live_public_pages(client, demo):
    draft = StandardPageFactory(parent=demo, title="Draft", slug="draft", live=False)
    private = StandardPageFactory(parent=demo, title="Private", slug="private")
    PageViewRestriction.objects.create(
        page=private, restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )
    response = client.get("/api/v2/pages/", {"limit": 50})
    assert response.status_code == 200
    ids = {item["id"] for item in response.json()["items"]}
    assert demo.pk in ids
    assert draft.pk not in ids and private.pk not in ids
    assert client.get(f"/api/v2/pages/{draft.pk}/").status_code == 404
    assert client.get(f"/api/v2/pages/{private.pk}/").status_code == 404


def test_article_page_exposes_its_stream_and_byline(client, demo):
    data = client.get(f"/api/v2/pages/{demo.pk}/").json()
    for name in ("title", "lead", "symptoms", "tried", "body", "author"):
        assert name in data, name
    assert data["author"]["name"] == demo.author.name
    types = {block["type"] for block in data["body"]}
    assert {"heading", "paragraph", "offer"} <= types
    paragraph = next(block for block in data["body"] if block["type"] == "paragraph")
    assert "linktype=" not in paragraph["value"]  # rich text links are resolved
    assert data["symptoms"][0]["type"] == "item"


def test_health_pages_expose_their_condition_review_and_last_update(client, demo):
    from home.models import QAPage

    for page in (demo, QAPage.objects.get()):
        data = client.get(f"/api/v2/pages/{page.pk}/").json()
        assert data["condition"] == "Low back pain"
        assert data["last_reviewed_on"] == page.last_reviewed_on.isoformat()
        assert data["last_updated_on"] == page.last_updated_on.isoformat()
        reviewer = data["reviewed_by"]
        assert reviewer["name"] == page.reviewed_by.name
        assert reviewer["credentials"] and reviewer["profile_url"].startswith("https://")
        assert reviewer["photo_url"].startswith("http")
    references = next(
        block
        for block in client.get(f"/api/v2/pages/{demo.pk}/").json()["body"]
        if block["type"] == "references"
    )
    assert [entry["year"] for entry in references["value"]["references"]] == [2018, 2017, 1988]


def test_images_and_documents_are_listed(client, demo):
    for path in ("/api/v2/images/", "/api/v2/documents/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "total_count" in response.json()["meta"]


def test_wagtail_endpoints_answer_bad_parameters_with_a_json_message(client, demo):
    for query in ({"limit": "abc"}, {"colour": "blue"}):
        response = client.get("/api/v2/pages/", query)
        assert response.status_code == 400
        assert response.json()["message"]


def test_glossary_terms_list_and_detail(client, demo):
    term = GlossaryTerm.objects.order_by("pk").first()
    data = client.get("/api/glossary-terms/").json()
    assert data["meta"]["total_count"] == GlossaryTerm.objects.count()
    item = data["items"][0]
    assert set(item) == {"id", "term", "slug", "definition", "source", "also_matches", "url"}
    detail = client.get(f"/api/glossary-terms/{term.slug}/").json()
    assert detail["term"] == term.term
    assert detail["url"].endswith(f"#term-{term.slug}")
    only = client.get("/api/glossary-terms/", {"slug": term.slug}).json()
    assert [i["slug"] for i in only["items"]] == [term.slug]


@pytest.mark.parametrize(
    ("query", "word"),
    [
        ({"limit": "abc"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_our_endpoints_answer_bad_parameters_with_a_json_message(client, query, word):
    for path in ("/api/glossary-terms/", "/api/testimonials/", "/api/shop/products/"):
        response = client.get(path, query)
        assert response.status_code == 400, path
        assert response["Content-Type"] == "application/json"
        assert word in response.json()["message"]


def test_limit_and_offset_page_through_the_list(client, demo):
    total = GlossaryTerm.objects.count()
    data = client.get("/api/glossary-terms/", {"limit": 2, "offset": 1}).json()
    assert data["meta"]["total_count"] == total
    assert len(data["items"]) == 2


def test_testimonials_only_with_consent(client):
    shown = TestimonialFactory(consent_to_publish=True)
    hidden = TestimonialFactory(consent_to_publish=False)
    data = client.get("/api/testimonials/").json()
    assert [item["id"] for item in data["items"]] == [shown.pk]
    assert set(data["items"][0]) == {
        "id",
        "kind",
        "quote",
        "paragraphs",
        "person",
        "credentials",
        "organisation",
        "place",
        "date",
        "result",
        "connection",
        "disclosures",
    }
    missing = client.get(f"/api/testimonials/{hidden.pk}/")
    assert missing.status_code == 404
    assert missing.json()["message"]
    assert client.get(f"/api/testimonials/{shown.pk}/").json()["person"] == shown.person
    kind = client.get("/api/testimonials/", {"kind": Testimonial.LETTER}).json()
    assert kind["items"] == []


def test_authors(client, demo):
    data = client.get("/api/authors/").json()
    item = data["items"][0]
    assert set(item) == {"id", "name", "post_nominals", "credentials", "bio", "photo_url", "links"}
    assert client.get(f"/api/authors/{item['id']}/").json()["name"] == item["name"]


def test_navigation_and_site_settings(client, demo):
    nav = client.get("/api/navigation/").json()
    assert {"label": "store", "url": "/shop/"} in nav["items"]
    chrome = client.get("/api/site-settings/").json()
    for name in (
        "organisation_name",
        "address_lines",
        "phone",
        "contact_email",
        "contact_page_url",
        "terms_page_url",
        "privacy_page_url",
        "footer_text",
        "copyright_notice",
        "reproduction_notice",
        "trust_badges",
    ):
        assert name in chrome, name
    assert chrome["organisation_name"]
    assert chrome["trust_badges"][0]["image_url"].startswith("http")
    assert client.get("/api/navigation/", {"x": "1"}).status_code == 400


@pytest.mark.parametrize("path", ["/api/nothing/", "/api/authors/-1/", "/api/v2/nothing/"])
def test_unknown_api_addresses_answer_json(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["message"]


def test_pictures_in_the_stream_come_with_renditions(client, demo):
    data = client.get(f"/api/v2/pages/{demo.pk}/").json()
    pictures = [block["value"] for block in data["body"] if block["type"] == "image"]
    assert pictures
    image = pictures[0]["image"]
    assert image["width"] and image["height"]
    assert set(image["renditions"]) == {"small", "medium", "large"}
    assert all(url.startswith("http") for url in image["renditions"].values())


def test_qa_page_exposes_its_questions_with_resolved_answers(client, demo):
    qa = QAPage.objects.live().get()
    data = client.get(f"/api/v2/pages/{qa.pk}/").json()
    first = data["items"][0]
    assert first["question"] == qa.items.first().question
    assert first["anchor"]
    assert "linktype=" not in first["answer"]


def test_a_filter_value_with_a_nul_character_is_refused(client):
    response = client.get("/api/glossary-terms/", {"slug": "a\x00b"})
    assert response.status_code == 400
    assert "slug" in response.json()["message"]
