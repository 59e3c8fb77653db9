"""HTTP behaviour of the API: caching, conditional requests, throttling, CORS."""

import pytest

from tests.home.factories import GlossaryTermFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/glossary-terms/", "/api/v2/pages/", "/api/schema/"])
def test_answers_are_cacheable_and_revalidate_with_etag(client, path):
    GlossaryTermFactory()
    first = client.get(path)
    assert first.status_code == 200
    assert first["Cache-Control"] == "public, max-age=60"
    etag = first["ETag"]
    repeat = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert repeat.status_code == 304
    assert repeat.content == b""
    GlossaryTermFactory()
    if path == "/api/glossary-terms/":
        assert client.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_errors_are_not_cached(client):
    response = client.get("/api/glossary-terms/", {"limit": "abc"})
    assert response.status_code == 400
    assert "public" not in response.get("Cache-Control", "")


def test_requests_with_a_session_are_not_cached_publicly(client, django_user_model):
    user = django_user_model.objects.create_user("reader", "reader@example.com", "pw")
    client.force_login(user)
    response = client.get("/api/v2/pages/")
    assert "private" in response["Cache-Control"]


def test_anonymous_use_is_throttled(client, settings):
    settings.API_ANON_THROTTLE_RATE = "3/minute"
    statuses = [client.get("/api/glossary-terms/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    throttled = client.get("/api/v2/pages/")
    assert throttled.status_code == 429
    assert client.get("/api/glossary-terms/").json()["message"]


def test_a_made_up_forwarded_for_header_does_not_escape_the_throttle(client, settings):
    # The visitor's address is REMOTE_ADDR (web.client_address); the header is the visitor's own.
    settings.API_ANON_THROTTLE_RATE = "10/minute"
    statuses = [
        client.get(
            "/api/glossary-terms/", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.{n}"
        ).status_code
        for n in range(60)
    ]
    assert statuses.count(200) == 10
    assert statuses[10:] == [429] * 50


def test_each_real_address_has_its_own_count(client, settings):
    settings.API_ANON_THROTTLE_RATE = "2/minute"
    first = [client.get("/api/glossary-terms/", REMOTE_ADDR="203.0.113.7") for _ in range(3)]
    assert [r.status_code for r in first] == [200, 200, 429]
    assert client.get("/api/glossary-terms/", REMOTE_ADDR="203.0.113.8").status_code == 200


def test_cors_only_for_allowed_origins(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    allowed = client.get("/api/glossary-terms/", HTTP_ORIGIN="https://app.example.com")
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    other = client.get("/api/glossary-terms/", HTTP_ORIGIN="https://evil.example.net")
    assert "Access-Control-Allow-Origin" not in other
    page = client.get("/robots.txt", HTTP_ORIGIN="https://app.example.com")
    assert "Access-Control-Allow-Origin" not in page


def test_no_cors_by_default(client):
    response = client.get("/api/glossary-terms/", HTTP_ORIGIN="https://app.example.com")
    assert "Access-Control-Allow-Origin" not in response
