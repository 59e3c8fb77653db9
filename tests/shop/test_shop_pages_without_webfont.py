"""The public shop pages draw their icons as inline SVG and load no icon font; the dashboard
keeps Oscar's stylesheet with Font Awesome. The webfont was fetched at top priority before
the first paint and cost the product page its Lighthouse performance score."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from tests.shop.factories import ProgramFactory

pytestmark = pytest.mark.django_db

STYLESHEET = re.compile(r'<link rel="stylesheet"[^>]* href="/static/([^"]+)"')
FONT_AWESOME = re.compile(r"Font Awesome|webfonts/|fontawesome|@font-face|--fa-", re.IGNORECASE)
FONT_AWESOME_CLASS = re.compile(r'class="[^"]*\bfa[srb]?\b')


@pytest.fixture(autouse=True)
def stripe_at_standin(settings, stripe_standin):
    settings.STRIPE_API_BASE = stripe_standin


def linked_stylesheets(html: str) -> dict[str, str]:
    sheets = {}
    for path in STYLESHEET.findall(html):
        found = finders.find(path)
        assert found, f"{path} is linked but is no static file"
        sheets[path] = Path(found).read_text()
    assert sheets, "the page links no stylesheet"
    return sheets


def assert_no_icon_font(html: str) -> None:
    assert not FONT_AWESOME.search(html)
    assert not FONT_AWESOME_CLASS.search(html)
    for path, css in linked_stylesheets(html).items():
        assert not FONT_AWESOME.search(css), f"{path} carries Font Awesome"
    # Icons are decoration beside their words: screen readers skip them.
    for svg in re.findall(r"<svg[^>]*>", html):
        assert 'aria-hidden="true"' in svg


@pytest.fixture
def program():
    return ProgramFactory()


@pytest.fixture
def reader(django_user_model):
    return django_user_model.objects.create_user(
        "reader", "reader@example.com", "a-long-pass-phrase", first_name="Robin"
    )


def test_product_basket_and_checkout_pages_load_no_icon_font(client, program, reader):
    product_page = client.get(program.get_absolute_url())
    assert product_page.status_code == 200
    html = product_page.content.decode()
    assert_no_icon_font(html)

    assert client.post(f"/shop/basket/add/{program.pk}/", {"quantity": 1}).status_code == 302
    basket = client.get("/shop/basket/")
    assert basket.status_code == 200
    assert_no_icon_font(basket.content.decode())

    sign_in = client.get("/shop/checkout/", follow=True)
    assert sign_in.status_code == 200
    assert_no_icon_font(sign_in.content.decode())

    customer = Client()
    customer.force_login(reader)
    customer.post(f"/shop/basket/add/{program.pk}/", {"quantity": 1})
    payment = customer.get("/shop/checkout/", follow=True)
    assert payment.redirect_chain[-1][0].endswith("/shop/checkout/payment-details/")
    assert_no_icon_font(payment.content.decode())


def test_the_dashboard_keeps_oscars_stylesheet_with_its_icons(client, django_user_model):
    staff = django_user_model.objects.create_superuser("boss", "boss@example.com", "pw-1234567")
    client.force_login(staff)
    response = client.get("/shop/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    sheets = linked_stylesheets(html)
    assert any(path.startswith("oscar/css/dashboard") for path in sheets)
    assert any(FONT_AWESOME.search(css) for css in sheets.values())
    assert FONT_AWESOME_CLASS.search(html)
