"""Responses are compressed only where they carry no secret (BREACH): anonymous pages, the
public read API, feeds and sitemaps. Pages for signed-in readers, and any answer that sets a
cookie or holds a CSRF token, go out as they are."""

import gzip
import json
import re
from pathlib import Path

import brotli
import pytest

from home.models import HomePage
from tests.home.factories import ArticlePageFactory, GlossaryTermFactory

pytestmark = pytest.mark.django_db

STATIC_CSS = Path(__file__).resolve().parents[2] / "site" / "static" / "css" / "site.css"


def without_nonces(html: str) -> str:
    # Each response carries its own CSP nonce; the rest must be identical.
    return re.sub(r'nonce="[^"]*"', 'nonce=""', html)


@pytest.fixture
def article():
    home = HomePage.objects.get()
    paragraphs = [
        ("paragraph", f"<p>Paragraph {n}: how the lower back moves and why it hurts.</p>")
        for n in range(40)
    ]
    return ArticlePageFactory(parent=home, slug="moving-again", body=paragraphs)


@pytest.mark.parametrize(
    ("accept", "encoding", "decode"),
    [("gzip, deflate", "gzip", gzip.decompress), ("gzip, br", "br", brotli.decompress)],
)
def test_an_anonymous_article_is_compressed_and_decodes_to_the_same_page(
    client, article, accept, encoding, decode
):
    plain = client.get(article.url)
    packed = client.get(article.url, HTTP_ACCEPT_ENCODING=accept)

    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == encoding
    assert "Accept-Encoding" in packed["Vary"]
    assert int(packed["Content-Length"]) == len(packed.content) < len(plain.content) / 2
    assert without_nonces(decode(packed.content).decode()) == without_nonces(plain.content.decode())


def test_a_page_for_a_signed_in_reader_is_not_compressed(client, article, django_user_model):
    reader = django_user_model.objects.create_user("reader", "reader@example.com", "pw")
    client.force_login(reader)

    response = client.get(article.url, HTTP_ACCEPT_ENCODING="gzip, br")

    assert response.status_code == 200
    assert "Content-Encoding" not in response
    assert b"Paragraph 39" in response.content


def test_a_page_holding_a_csrf_token_is_not_compressed(client):
    # The sign-in form: anonymous, but the page carries a CSRF token and sets its cookie.
    response = client.get("/shop/accounts/login/", HTTP_ACCEPT_ENCODING="gzip, br")

    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content
    assert "Content-Encoding" not in response


def test_a_request_with_a_basket_cookie_is_not_compressed(client, article):
    client.cookies["oscar_open_basket"] = "1:signature"

    response = client.get(article.url, HTTP_ACCEPT_ENCODING="gzip")

    assert "Content-Encoding" not in response


@pytest.mark.parametrize("path", ["/api/glossary-terms/", "/api/v2/pages/"])
def test_public_api_json_is_compressed(client, path):
    GlossaryTermFactory.create_batch(20)
    home = HomePage.objects.get()
    for n in range(10):
        ArticlePageFactory(parent=home, slug=f"article-{n}")
    plain = client.get(path)

    packed = client.get(path, HTTP_ACCEPT_ENCODING="gzip")

    assert packed["Content-Encoding"] == "gzip"
    assert packed["Content-Type"] == "application/json"
    assert json.loads(gzip.decompress(packed.content)) == plain.json()
    # The ETag of the uncompressed body still revalidates the compressed one.
    again = client.get(path, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=packed["ETag"])
    assert again.status_code == 304


def test_the_api_for_a_signed_in_reader_is_not_compressed(client, django_user_model):
    GlossaryTermFactory.create_batch(20)
    reader = django_user_model.objects.create_user("reader", "reader@example.com", "pw")
    client.force_login(reader)

    response = client.get("/api/glossary-terms/", HTTP_ACCEPT_ENCODING="gzip")

    assert response.status_code == 200
    assert "Content-Encoding" not in response


def test_the_sitemap_is_compressed(client):
    home = HomePage.objects.get()
    for n in range(30):
        ArticlePageFactory(parent=home, slug=f"article-{n}")

    response = client.get("/sitemap.xml", HTTP_ACCEPT_ENCODING="gzip")

    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert b"<urlset" in gzip.decompress(response.content)


def test_static_files_are_left_to_whitenoise(client):
    response = client.get("/static/css/site.css", HTTP_ACCEPT_ENCODING="gzip, br")

    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    # Served as the file is stored (source files in tests have no compressed twin).
    assert "Content-Encoding" not in response
    assert body == STATIC_CSS.read_bytes()


def test_a_client_that_asks_for_no_compression_gets_none(client, article):
    response = client.get(article.url, HTTP_ACCEPT_ENCODING="identity")

    assert "Content-Encoding" not in response


def test_compression_comes_right_after_whitenoise(settings):
    # Agreed order: WhiteNoise, the page cache (when present), then compression, so cached
    # pages are stored compressed and static files are never compressed twice.
    middleware = settings.MIDDLEWARE
    whitenoise = middleware.index("whitenoise.middleware.WhiteNoiseMiddleware")
    compression = middleware.index("web.compression.PublicResponseCompressionMiddleware")
    between = middleware[whitenoise + 1 : compression]
    assert all("cache" in name.lower() for name in between), between
    assert compression < middleware.index("django.contrib.sessions.middleware.SessionMiddleware")
