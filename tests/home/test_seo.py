"""What search engines and link previews read: head tags, JSON-LD, sitemap, robots, redirects."""

import json
import re

import pytest
from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Page, PageViewRestriction

from home.models import QAPage
from tests.home.factories import StandardPageFactory

pytestmark = pytest.mark.django_db

JSON_LD = re.compile(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', re.S)


@pytest.fixture
def demo(demo_site):
    return demo_site


def json_ld_of(html: str) -> dict[str, dict]:
    blocks = [json.loads(text) for text in JSON_LD.findall(html)]
    return {block["@type"]: block for block in blocks}


def test_article_page_has_head_tags_and_medical_web_page_product_breadcrumbs(client, demo):
    demo.seo_title = "Relief for your lower back"
    demo.search_description = "Exercises that release tight back muscles & more."
    demo.save_revision().publish()
    html = client.get("/").content.decode()

    canonical = demo.get_full_url()
    assert f'<link rel="canonical" href="{canonical}">' in html
    assert '<meta property="og:title" content="Relief for your lower back">' in html
    assert '<meta property="og:type" content="article">' in html
    assert 'content="Exercises that release tight back muscles &amp; more."' in html
    assert '<meta name="twitter:card"' in html
    assert "<title>Relief for your lower back |" in html

    data = json_ld_of(html)
    assert {"MedicalWebPage", "Product", "BreadcrumbList"} <= set(data)
    assert "AggregateRating" not in html and "aggregateRating" not in html
    article = data["MedicalWebPage"]
    assert article["headline"] == "Relief for your lower back"
    assert article["author"]["@type"] == "Person" and article["author"]["name"]
    assert article["datePublished"] and article["dateModified"]
    assert article["publisher"]["@type"] == "Organization"
    assert article["publisher"]["name"]
    product = data["Product"]
    offer = product["offers"]
    assert offer["@type"] == "Offer"
    assert offer["priceCurrency"] == "USD"
    assert offer["availability"] == "https://schema.org/InStock"
    assert float(offer["price"]) > 0
    assert "payments" in product["description"] and "Free for 14 days" in product["description"]
    crumbs = data["BreadcrumbList"]["itemListElement"]
    assert crumbs == [
        {
            "@type": "ListItem",
            "position": 1,
            "name": demo.title,
            "item": {"@type": "WebPage", "@id": canonical},
        }
    ]


def test_qa_page_has_faq_and_breadcrumbs(client, demo):
    qa = QAPage.objects.live().get()
    html = client.get(qa.url).content.decode()
    data = json_ld_of(html)
    assert data["FAQPage"]["mainEntity"]
    first = data["FAQPage"]["mainEntity"][0]
    assert first["@type"] == "Question"
    assert first["name"] == qa.items.first().question
    assert first["acceptedAnswer"]["@type"] == "Answer" and first["acceptedAnswer"]["text"]
    assert [c["name"] for c in data["BreadcrumbList"]["itemListElement"]] == [
        demo.title,
        qa.title,
    ]
    assert "MedicalWebPage" not in data
    assert '<meta property="og:type" content="website">' in html


def test_json_ld_cannot_close_its_script_tag(client, demo):
    demo.seo_title = "</script><script>alert(1)</script>"
    demo.save_revision().publish()
    html = client.get("/").content.decode()
    assert "<script>alert(1)" not in html
    assert json_ld_of(html)["MedicalWebPage"]["headline"] == demo.seo_title


def test_sharing_image_is_the_first_picture_in_the_body(client, demo):
    html = client.get("/").content.decode()
    match = re.search(r'<meta property="og:image" content="([^"]+)">', html)
    assert match and match.group(1).startswith("http")
    assert '<meta name="twitter:card" content="summary_large_image">' in html


def test_sitemap_lists_live_public_pages_only(client, demo):
    draft = StandardPageFactory(parent=demo, title="Draft", slug="draft-page", live=False)
    private = StandardPageFactory(parent=demo, title="Private", slug="private-page")
    PageViewRestriction.objects.create(
        page=private, restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    locations = set(re.findall(r"<loc>([^<]+)</loc>", response.content.decode()))
    expected = {
        page.get_full_url()
        for page in Page.objects.live().public().specific().filter(depth__gte=demo.depth)
    }
    assert locations == expected
    assert draft.get_full_url() not in locations
    assert private.get_full_url() not in locations
    assert demo.get_full_url() in locations


def test_robots_txt_disallows_private_areas_and_names_the_sitemap(client, settings):
    settings.ROBOTS_DISALLOW = ["/cms/", "/shop/checkout/"]
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == (
        "User-agent: *\nDisallow: /cms/\nDisallow: /shop/checkout/\n\n"
        "Sitemap: http://testserver/sitemap.xml\n"
    )


def test_robots_txt_defaults_keep_admin_and_accounts_out():
    from django.conf import settings

    for path in ["/cms/", "/django-admin/", "/shop/accounts/", "/shop/basket/"]:
        assert path in settings.ROBOTS_DISALLOW


@pytest.mark.parametrize("path", ["/shop/checkout/", "/shop/checkout/payment-details/"])
def test_checkout_open_to_crawlers_shows_them_nothing(client, settings, path):
    """Not disallowed, so a search engine may read the payment step a visitor reaches, but a
    crawler has no basket: it is only sent away, to a disallowed page."""
    assert not any(path.startswith(disallowed) for disallowed in settings.ROBOTS_DISALLOW)
    response = client.get(path)
    assert response.status_code == 302
    target = response["Location"]
    assert any(target.startswith(disallowed) for disallowed in settings.ROBOTS_DISALLOW)


def test_redirect_from_an_old_address_reaches_the_page(client, demo):
    qa = QAPage.objects.live().get()
    Redirect.add_redirect("/faq.html", redirect_to=qa, is_permanent=True)
    response = client.get("/faq.html")
    assert response.status_code == 301
    assert response["Location"].endswith(qa.url)


def test_product_page_shares_the_title_cover_and_terms_it_shows(client, demo):
    from oscar.core.loading import get_model

    product = get_model("catalogue", "Product").objects.get(upc="GFTBP-DOWNLOAD")
    html = client.get(product.get_absolute_url()).content.decode()
    head, body = html.split("</head>", 1)

    heading = re.search(r"<h1>([^<]+)</h1>", body).group(1)
    cover = re.search(r'<img class="program-cover" src="([^"]+)"', body).group(1)
    og = dict(re.findall(r'<meta property="og:(\w+)" content="([^"]*)">', head))
    assert og["title"] == heading == "Get Free from That Back Pain"
    assert og["type"] == "product"
    assert og["image"] == f"http://testserver{cover}"
    assert og["url"] == f"http://testserver{product.get_absolute_url()}"
    assert f'<link rel="canonical" href="{og["url"]}">' in head
    assert '<meta name="twitter:card" content="summary_large_image">' in head

    data = json_ld_of(head)
    assert set(data) == {"Product"}
    item = data["Product"]
    assert item["name"] == heading
    assert item["image"] == [og["image"]]
    assert item["url"] == og["url"]
    offer = item["offers"]
    assert offer["price"] == "197.00" and offer["priceCurrency"] == "USD"
    assert offer["availability"] == "https://schema.org/InStock"
    # The terms in words are the ones the page shows next to the button.
    assert "$98.50 every 4 weeks, 2 payments" in offer["description"]
    assert "Free for 14 days" in item["description"]
    assert "$98.50" in body and "$197.00" in body
    for rating in ("aggregateRating", "AggregateRating", '"review"', "Review"):
        assert rating not in head
