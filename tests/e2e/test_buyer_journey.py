"""A visitor on a phone reads the offer, creates an account at checkout, agrees to the
terms, enters a test card in the Stripe field and starts the free tryout."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    CARD_DECLINED_AT_SAVING,
    CARD_OK,
    add_program_to_basket,
    count_rows,
    fill_card,
    register_at_checkout,
    start_on_the_product_page,
)

pytestmark = pytest.mark.e2e


def long_date(day) -> str:
    return f"{day:%B} {day.day}, {day:%Y}"


def test_visitor_starts_the_free_tryout_on_a_phone(site, phone, shoot):
    page = phone
    start_on_the_product_page(page, site.base_url)
    shoot(page, "account-step")
    # The basket is not on the way, but still there.
    page.goto(site.base_url + "/shop/basket/")
    expect(page.locator("body")).to_contain_text("$98.50")
    shoot(page, "basket")

    register_at_checkout(page, site.base_url, "buyer@example.com")
    today = datetime.now(tz=UTC).date()
    first, second = today + timedelta(days=14), today + timedelta(days=42)
    terms = page.locator(".trial-disclosure")
    expect(terms).to_contain_text(long_date(first))
    expect(terms).to_contain_text(long_date(second))
    expect(terms).to_contain_text("$197.00")
    page.select_option("select[name=country]", "US")
    fill_card(page, CARD_OK)
    page.check("#id_consent")
    shoot(page, "payment")
    page.get_by_role("button", name=re.compile("Start free 2-week tryout")).click()

    expect(page).to_have_url(re.compile(r"/shop/checkout/thank-you/$"))
    confirmation = page.locator(".trial-confirmation")
    expect(confirmation).to_contain_text("nothing has been charged today")
    expect(confirmation).to_contain_text(long_date(first))
    expect(confirmation).to_contain_text(long_date(second))
    # Quitting is one press from here: its confirmation opens in the page, and can be left.
    page.get_by_role("button", name="Quit 2-Week Tryout").click()
    dialog = page.get_by_role("dialog", name="Quit your free tryout?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Keep my tryout").click()
    expect(dialog).to_be_hidden()
    shoot(page, "confirmation")

    receipts = [m for m in site.emails() if "buyer@example.com" in m["To"]]
    assert receipts, "no receipt email was sent"
    receipt = receipts[-1]
    assert "$0.00 charged today" in receipt["Subject"]
    body = receipt.get_payload(0).get_payload(decode=True).decode()
    assert "Charged today: $0.00" in body
    assert "Quit 2-Week Tryout" in body
    assert count_rows(site.database, "billing_installmentplan") == 1


def test_a_declined_card_gets_a_clear_message_and_no_order(site, phone, shoot):
    page = phone
    add_program_to_basket(page, site.base_url)
    register_at_checkout(page, site.base_url, "declined@example.com")
    page.select_option("select[name=country]", "US")
    fill_card(page, CARD_DECLINED_AT_SAVING)
    page.check("#id_consent")
    page.get_by_role("button", name=re.compile("Start free 2-week tryout")).click()
    expect(page.locator("#card-errors")).to_contain_text("declined")
    expect(page).to_have_url(re.compile(r"/shop/checkout/payment-details/$"))
    expect(page.get_by_role("button", name=re.compile("Start free"))).to_be_enabled()
    shoot(page, "declined")
    assert count_rows(site.database, "order_order") == 0

    # Another card works at once: nothing was lost.
    fill_card(page, CARD_OK)
    page.get_by_role("button", name=re.compile("Start free 2-week tryout")).click()
    expect(page).to_have_url(re.compile(r"/shop/checkout/thank-you/$"))
    assert count_rows(site.database, "order_order") == 1


def test_stripe_down_is_explained_and_the_basket_kept(site_with_stripe_down, phone, shoot):
    site, page = site_with_stripe_down, phone
    add_program_to_basket(page, site.base_url)
    register_at_checkout(page, site.base_url, "patient@example.com")
    expect(page.locator("#checkout-error")).to_contain_text(
        "We could not reach our payment provider just now"
    )
    expect(page.locator("#start-trial")).to_be_disabled()
    shoot(page, "stripe-down")
    page.goto(site.base_url + "/shop/basket/")
    expect(page.locator("body")).to_contain_text("Get Free from That Back Pain")
    assert count_rows(site.database, "order_order") == 0


def test_the_program_page_sells_it_as_the_offer_does(site, phone, shoot):
    page = phone
    page.goto(site.base_url + "/shop/")
    expect(page).to_have_url(re.compile(r"/shop/catalogue/get-free-from-that-back-pain_\d+/$"))
    expect(page.locator("h1")).to_have_text("Get Free from That Back Pain")
    cover = page.locator("img.program-cover")
    expect(cover).to_have_attribute("alt", "Cover of Get Free from That Back Pain")
    assert cover.evaluate("img => img.complete && img.naturalWidth > 0")
    expect(page.locator(".trial-terms")).to_contain_text("$98.50")
    expect(page.locator(".program-contents")).to_contain_text("Session 1: Lying twist")
    expect(page.locator(".program-testimonials figure")).to_have_count(3)
    page.get_by_text("What if it does not work for me?").click()
    expect(page.locator(".program-questions")).to_contain_text("free two-week tryout")
    for gone in ("Add to cart", "Add to basket", "UPC", "excl. tax", "Image Not Available"):
        expect(page.locator("#content_inner")).not_to_contain_text(gone)
    expect(page.locator("#content_inner button")).to_have_count(1)
    shoot(page, "product-page")

    page.get_by_role("button", name="Start free 2-week tryout").click()
    expect(page).to_have_url(re.compile(r"/shop/accounts/login/"))
    page.go_back()
    page.get_by_role("button", name="Start free 2-week tryout").click()
    page.goto(site.base_url + "/shop/basket/")
    expect(page.locator("body")).to_contain_text("Get Free from That Back Pain")
    assert count_rows(site.database, "basket_line") == 1
