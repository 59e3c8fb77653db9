"""Start free tryout: from the product page or the article's offer straight into checkout,
with the program alone in the basket, once, however often the button is pressed."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from oscar.core.loading import get_model
from oscar.test.factories import create_product

from tests.shop.factories import ProgramFactory

pytestmark = pytest.mark.django_db

Basket = get_model("basket", "Basket")
Line = get_model("basket", "Line")

START = "/shop/checkout/start-tryout/"
SITE = "http://testserver"


@pytest.fixture
def program():
    return ProgramFactory()


@pytest.fixture
def browser():
    """A client that checks CSRF as a browser meets it, sending the page's Origin."""
    return Client(enforce_csrf_checks=True, headers={"Origin": SITE})


def basket_of(client) -> list[tuple[int, int]]:
    response = client.get("/shop/basket/")
    basket = response.context["basket"]
    return [(line.product_id, line.quantity) for line in basket.all_lines()]


def test_a_visitor_goes_to_the_account_step_with_the_program_in_the_basket(browser, program):
    response = browser.post(START, {"product": program.pk})

    assert response.status_code == 302
    assert response["Location"] == "/shop/checkout/"
    assert basket_of(browser) == [(program.pk, 1)]
    # The checkout's first step asks them to sign in or create the account.
    account_step = browser.get(response["Location"])
    assert account_step.status_code == 302
    assert account_step["Location"].startswith("/shop/accounts/login/")


def test_a_signed_in_visitor_skips_the_account_step(browser, program):
    user = get_user_model().objects.create_user("reader", "reader@example.com", "pass-phrase-9")
    browser.force_login(user)

    response = browser.post(START, {"product": program.pk})

    assert response.status_code == 302
    assert response["Location"] == "/shop/checkout/payment-details/"
    assert basket_of(browser) == [(program.pk, 1)]
    assert Basket.objects.get(owner=user).all_lines()[0].product == program


def test_pressing_twice_or_coming_back_leaves_one_program(browser, program):
    for _ in range(3):
        assert browser.post(START, {"product": program.pk}).status_code == 302
    assert basket_of(browser) == [(program.pk, 1)]
    assert Line.objects.count() == 1


def test_more_of_the_program_in_the_basket_becomes_one(browser, program):
    browser.post(START, {"product": program.pk})
    Line.objects.update(quantity=3)
    browser.post(START, {"product": program.pk})
    assert basket_of(browser) == [(program.pk, 1)]


def test_other_products_are_taken_out_and_the_visitor_told(client, program):
    recording = create_product(title="Webinar recording", price=Decimal("49.00"), num_in_stock=None)
    assert client.post(f"/shop/basket/add/{recording.pk}/", {"quantity": 1}).status_code == 302

    response = client.post(START, {"product": program.pk}, follow=True)

    assert basket_of(client) == [(program.pk, 1)]
    told = [str(message) for message in response.context["messages"]]
    assert any("other items were taken out" in message for message in told), told


def test_the_article_offer_without_a_token_works_from_this_site(program):
    # The article is served from the shared page cache, so its form carries no token.
    browser = Client(enforce_csrf_checks=True, headers={"Origin": SITE})
    response = browser.post(START, {"product": program.pk})
    assert response["Location"] == "/shop/checkout/"
    assert basket_of(browser) == [(program.pk, 1)]


def test_an_origin_the_site_trusts_is_accepted(program, settings):
    # e.g. the site's public https address, when the proxy in front speaks plain http to it.
    settings.CSRF_TRUSTED_ORIGINS = ["https://backcare.example"]
    browser = Client(enforce_csrf_checks=True, headers={"Origin": "https://backcare.example"})
    assert browser.post(START, {"product": program.pk})["Location"] == "/shop/checkout/"
    assert basket_of(browser) == [(program.pk, 1)]


@pytest.mark.parametrize(
    "origin", ["https://elsewhere.example", "http://testserver.elsewhere.example", "null", None]
)
def test_a_form_from_elsewhere_without_a_token_changes_nothing(program, origin):
    headers = {"Origin": origin} if origin else {}
    browser = Client(enforce_csrf_checks=True, headers=headers)

    response = browser.post(START, {"product": program.pk}, follow=True)

    assert response.redirect_chain[0] == (program.get_absolute_url(), 302)
    assert basket_of(browser) == []
    assert Line.objects.count() == 0
    told = [str(message) for message in response.context["messages"]]
    assert any("nothing was added yet" in message for message in told), told
    assert any("Start free 2-week tryout" in message for message in told), told


def test_the_product_page_button_works_with_its_token(program):
    browser = Client(enforce_csrf_checks=True)  # no Origin: the token alone must do
    page = browser.get(program.get_absolute_url())
    token = page.context["csrf_token"]
    response = browser.post(START, {"product": program.pk, "csrfmiddlewaretoken": str(token)})
    assert response["Location"] == "/shop/checkout/"
    assert basket_of(browser) == [(program.pk, 1)]


@pytest.mark.parametrize("value", ["", "abc", "999999", "-1"])
def test_no_such_program_gets_a_message_and_changes_nothing(browser, value):
    response = browser.post(START, {"product": value}, follow=True)
    told = [str(message) for message in response.context["messages"]]
    assert any("not available just now" in message for message in told), told
    assert Line.objects.count() == 0


def test_a_product_without_a_tryout_is_not_started_here(browser):
    recording = create_product(title="Webinar recording", price=Decimal("49.00"), num_in_stock=None)
    browser.post(START, {"product": recording.pk})
    assert Line.objects.count() == 0


def test_a_program_taken_off_sale_is_not_started(browser):
    program = ProgramFactory(is_public=False)
    browser.post(START, {"product": program.pk})
    assert Line.objects.count() == 0


def test_only_a_post_starts_it(client, program):
    assert client.get(START, {"product": program.pk}).status_code == 405
    assert Line.objects.count() == 0


def test_the_basket_page_stays_reachable(browser, program):
    browser.post(START, {"product": program.pk})
    basket = browser.get("/shop/basket/")
    assert basket.status_code == 200
    assert "Get Free from That Back Pain" in basket.content.decode()


def test_the_articles_offer_leads_into_checkout_and_keeps_the_article_cacheable(demo_site):
    browser = Client(enforce_csrf_checks=True, headers={"Origin": SITE})
    article = browser.get("/")
    html = article.content.decode()
    # No token, so no CSRF cookie: the article stays one page for every anonymous reader.
    assert "csrftoken" not in article.cookies
    form = re.search(
        r'<form class="offer-start" method="post" action="([^"]+)">\s*'
        r'<input type="hidden" name="product" value="(\d+)">',
        html,
    )
    assert form, "the offer has no start form"

    response = browser.post(form.group(1), {"product": form.group(2)})

    assert response["Location"] == "/shop/checkout/"
    (line,) = basket_of(browser)
    assert line == (int(form.group(2)), 1)


def _register_after_choosing(client, program) -> str:
    """A visitor chooses the program, then opens an account on the account step; the page
    they land on next (the payment page) as HTML."""
    client.post(START, {"product": program.pk})
    response = client.post(
        "/shop/accounts/login/?next=/shop/checkout/",
        {
            "registration-email": "new@example.com",
            "registration-password1": "a-long-pass-phrase-1",
            "registration-password2": "a-long-pass-phrase-1",
            "registration-redirect_url": "/shop/checkout/",
            "registration_submit": "Register",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/shop/checkout/payment-details/"
    return response.content.decode()


def test_a_new_account_finds_the_program_without_a_merged_baskets_notice(client, program):
    html = _register_after_choosing(client, program)
    assert "previous session" not in html
    assert basket_of(client) == [(program.pk, 1)]


def test_an_account_whose_basket_held_something_is_told_of_the_merge(client, program):
    other = create_product(price=Decimal("20.00"), num_in_stock=5)
    user = get_user_model().objects.create_user("held", "held@example.com", "a-long-pass-phrase-1")
    own = Client()
    own.force_login(user)
    own.post(f"/shop/basket/add/{other.pk}/", {"quantity": 1})

    client.post(f"/shop/basket/add/{other.pk}/", {"quantity": 1})
    response = client.post(
        "/shop/accounts/login/",
        {
            "login-username": "held@example.com",
            "login-password": "a-long-pass-phrase-1",
            "login_submit": "Log In",
        },
    )
    assert response.status_code == 302
    basket_page = client.get("/shop/basket/").content.decode()
    assert "We have merged 1 item from a previous session" in basket_page
