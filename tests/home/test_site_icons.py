"""The site's icons and web manifest: linked from the articles' and the shop's pages, served
with the media types browsers require, and /favicon.ico answering for clients that never read
the page."""

import json
import re
from urllib.parse import urljoin

import pytest

pytestmark = pytest.mark.django_db

LINK = re.compile(r"<link ([^>]*)>")
ATTRIBUTE = re.compile(r'(\w[\w-]*)="([^"]*)"')
PRODUCT_PAGE = re.compile(r'href="(/shop/catalogue/[^"/]+_\d+/)"')


@pytest.fixture
def demo(demo_site):
    return demo_site


def head_links(html: str) -> dict[str, list[dict]]:
    head = html.split("</head>")[0]
    links: dict[str, list[dict]] = {}
    for attributes in LINK.findall(head):
        link = dict(ATTRIBUTE.findall(attributes))
        links.setdefault(link.get("rel", ""), []).append(link)
    return links


def fetch(client, url: str):
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def assert_icons_linked_and_served(client, html: str) -> None:
    links = head_links(html)
    icons = {link.get("type", "image/x-icon"): link["href"] for link in links["icon"]}
    assert set(icons) == {"image/x-icon", "image/svg+xml"}
    for content_type, href in icons.items():
        response, body = fetch(client, href)
        assert response.status_code == 200, href
        assert response["Content-Type"] == content_type
        assert body
    (touch,) = links["apple-touch-icon"]
    response, body = fetch(client, touch["href"])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert body.startswith(b"\x89PNG")
    assert '<meta name="theme-color" content="#0b5f7a">' in html
    (manifest,) = links["manifest"]
    assert_manifest_complete(client, manifest["href"])


def assert_manifest_complete(client, href: str) -> None:
    response, body = fetch(client, href)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(body)
    assert manifest["name"] and manifest["short_name"]
    assert manifest["start_url"] == "/"
    assert manifest["display"] in {"browser", "minimal-ui", "standalone", "fullscreen"}
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])
    sizes = {icon["sizes"] for icon in manifest["icons"] if icon["type"] == "image/png"}
    # What browsers need to offer installing the site and to draw its splash screen.
    assert {"192x192", "512x512"} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])
    for icon in manifest["icons"]:
        icon_response, icon_body = fetch(client, urljoin(href, icon["src"]))
        assert icon_response.status_code == 200, icon["src"]
        assert icon_response["Content-Type"] == icon["type"]
        if icon["type"] == "image/png":
            width, height = icon["sizes"].split("x")
            assert icon_body[16:24] == int(width).to_bytes(4, "big") + int(height).to_bytes(
                4, "big"
            ), f"{icon['src']} is not {icon['sizes']}"


def test_article_links_the_icons_and_the_manifest(client, demo):
    response = client.get("/")
    assert response.status_code == 200
    assert_icons_linked_and_served(client, response.content.decode())


def test_shop_pages_link_the_same_icons(client, demo):
    # The store opens the demo's one program.
    product = client.get("/shop/catalogue/", follow=True)
    assert PRODUCT_PAGE.match(f'href="{product.redirect_chain[-1][0]}"')
    assert product.status_code == 200
    html = product.content.decode()
    assert "oscar/favicon.ico" not in html
    assert_icons_linked_and_served(client, html)


def test_favicon_ico_at_the_root_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert "max-age=86400" in response["Cache-Control"]
    icon, body = fetch(client, response["Location"])
    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/x-icon"
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
