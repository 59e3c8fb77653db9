"""The shop, checkout and account pages are the site's own pages: its header, navigation,
footer and stylesheet, the customer's account links everywhere, "Home" leading to the
articles, no Oscar theme (Bootstrap) and a small stylesheet per page. Oscar's dashboard keeps
its own look."""

import re

import pytest
from django.test import Client

from tests.shop.factories import ProgramFactory
from tests.shop.test_shop_pages_without_webfont import linked_stylesheets

pytestmark = pytest.mark.django_db

# The performance issue's budget for the CSS a page ships, here for shop and account pages too.
CSS_BUDGET_BYTES = 100 * 1024


@pytest.fixture(autouse=True)
def stripe_at_standin(settings, stripe_standin):
    settings.STRIPE_API_BASE = stripe_standin


@pytest.fixture
def program():
    return ProgramFactory()


@pytest.fixture
def customer(django_user_model):
    user = django_user_model.objects.create_user(
        "reader", "reader@example.com", "a-long-pass-phrase", first_name="Robin"
    )
    client = Client()
    client.force_login(user)
    return client


def header_of(html: str) -> str:
    found = re.search(r'<header class="site-header">(.*?)</header>', html, re.S)
    assert found, "the page has no site header"
    return found.group(1)


def account_links(html: str) -> list[str]:
    nav = re.search(r'<nav aria-label="Your account">(.*?)</nav>', header_of(html), re.S)
    assert nav, "the header has no account links"
    return re.findall(r">([^<>]+)</a>", nav.group(1))


def main_navigation(html: str) -> list[tuple[str, str]]:
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', header_of(html), re.S)
    assert nav, "the header has no main navigation"
    return [
        (label, href)
        for href, label in re.findall(r'href="([^"]+)"[^>]*>([^<]+)</a>', nav.group(1))
    ]


def assert_site_page(html: str, path: str) -> None:
    header = header_of(html)
    assert re.search(r'<a class="site-name" href="/">', header), f"{path}: title not linked home"
    assert 'class="site-footer"' in html, f"{path}: no site footer"
    sheets = linked_stylesheets(html)
    assert "css/site.css" in sheets, f"{path}: not in the site's stylesheet"
    for name, css in sheets.items():
        assert not name.startswith("oscar/"), f"{path} links Oscar's theme: {name}"
        assert "Bootstrap v" not in css, f"{path}: {name} is Bootstrap"
    size = sum(len(css.encode()) for css in sheets.values())
    assert size <= CSS_BUDGET_BYTES, f"{path} ships {size} bytes of CSS"
    assert "bootstrap" not in html.lower(), f"{path} loads Bootstrap"
    assert "jquery" not in html.lower(), f"{path} loads jQuery"
    assert 'href="/shop/catalogue/">Home' not in html
    assert "Browse store" not in html


def test_shop_checkout_and_sign_in_pages_are_site_pages(client, program):
    product = client.get(program.get_absolute_url())
    assert product.status_code == 200
    assert_site_page(product.content.decode(), "product")
    assert account_links(product.content.decode()) == ["Sign in"]

    assert client.post(f"/shop/basket/add/{program.pk}/", {"quantity": 1}).status_code == 302
    for path in ("/shop/basket/", "/shop/accounts/login/", "/shop/checkout/"):
        response = client.get(path, follow=True)
        assert response.status_code == 200, path
        assert_site_page(response.content.decode(), path)


def test_a_signed_in_customer_sees_my_program_and_sign_out_on_every_page(customer, program):
    customer.post(f"/shop/basket/add/{program.pk}/", {"quantity": 1})
    for path in (
        program.get_absolute_url(),
        "/shop/basket/",
        "/shop/checkout/",
        "/shop/accounts/program/",
        "/shop/accounts/orders/",
        "/shop/accounts/profile/",
        "/shop/accounts/emails/",
        "/shop/accounts/my-data/",
    ):
        response = customer.get(path, follow=True)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert_site_page(html, path)
        assert account_links(html) == ["My program", "Sign out"], path


def test_article_pages_carry_the_account_links(demo_site, client, customer):
    anonymous = client.get("/").content.decode()
    assert account_links(anonymous) == ["Sign in"]
    assert 'href="/shop/accounts/login/"' in header_of(anonymous)
    signed_in = customer.get("/").content.decode()
    assert account_links(signed_in) == ["My program", "Sign out"]
    assert 'href="/shop/accounts/program/"' in header_of(signed_in)
    # The same navigation as on the shop's pages.
    program_page = customer.get("/shop/accounts/program/").content.decode()
    assert main_navigation(signed_in) == main_navigation(program_page)
    assert ("home", "/") in main_navigation(program_page)


def test_home_leads_to_the_articles_not_the_store(customer):
    html = customer.get("/shop/accounts/orders/").content.decode()
    breadcrumb_home = re.search(r'<a href="([^"]*)">Home</a>', html)
    assert breadcrumb_home and breadcrumb_home.group(1) == "/"
    signed_out = customer.get("/shop/accounts/logout/")
    assert signed_out.status_code == 302 and signed_out["Location"] == "/"


def test_the_account_opens_on_my_program_and_offers_only_what_a_customer_uses(customer):
    opened = customer.get("/shop/accounts/")
    assert opened.status_code == 302 and opened["Location"] == "/shop/accounts/program/"
    html = customer.get("/shop/accounts/profile/").content.decode()
    menu = re.search(r'<aside class="sidebar">(.*?)</aside>', html, re.S).group(1)
    assert re.findall(r">([^<>]+)</a>", menu) == [
        "My program",
        "Order history",
        "Profile",
        "Emails received",
    ]
    for word in ("Address Book", "Product Alerts", "Notifications", "Wish Lists"):
        assert word not in html
    for path in (
        "/shop/accounts/addresses/",
        "/shop/accounts/addresses/add/",
        "/shop/accounts/alerts/",
        "/shop/accounts/notifications/",
        "/shop/accounts/notifications/inbox/",
    ):
        assert customer.get(path).status_code == 404, path


def test_the_dashboard_keeps_its_own_look(client, django_user_model):
    staff = django_user_model.objects.create_superuser("boss", "boss@example.com", "pw-1234567")
    client.force_login(staff)
    html = client.get("/shop/dashboard/").content.decode()
    assert any(path.startswith("oscar/css/dashboard") for path in linked_stylesheets(html))
    assert 'class="site-header"' not in html


def test_account_pages_are_named_as_in_the_menu(customer):
    for path, title in (
        ("/shop/accounts/program/", "My program"),
        ("/shop/accounts/orders/", "Order history"),
        ("/shop/accounts/profile/", "Profile"),
        ("/shop/accounts/emails/", "Emails received"),
        ("/shop/accounts/change-password/", "Change password"),
        ("/shop/accounts/profile/edit/", "Edit profile"),
    ):
        html = customer.get(path).content.decode()
        assert re.search(rf"<h1>\s*{title}\s*</h1>", html), path
        assert f"<title>{title} | Account | " in html, path
        assert re.search(rf'aria-current="page">\s*{title}\s*</li>', html), path


def test_the_profile_leads_to_the_customers_data(customer):
    html = customer.get("/shop/accounts/profile/").content.decode()
    assert 'href="/shop/accounts/my-data/"' in html
    assert "Delete profile" not in html
