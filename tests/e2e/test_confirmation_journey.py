"""A customer whose bank asks them to confirm an installment (card 4000 0025 0000 3155):
the email's link, the bank's check in the stand-in's Stripe.js, or another card instead."""

import re
import sqlite3

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import billing_run_after_the_tryout, fill_card, start_tryout
from tests.e2e.test_customer_journey import axe_violations

pytestmark = pytest.mark.e2e

CARD_AUTHENTICATION = "4000002500003155"


def confirmation_link(site) -> str:
    messages = [m for m in site.emails() if "Please confirm your payment" in m["Subject"]]
    assert len(messages) == 1
    # The text part of the email (it also has an HTML one).
    text = next(part for part in messages[0].walk() if part.get_content_type() == "text/plain")
    body = text.get_payload(decode=True).decode()
    return re.search(r"http://\S+/shop/accounts/program/confirm/\S+/", body).group(0)


def charges(site) -> list[tuple[str, str]]:
    with sqlite3.connect(site.database) as connection:
        return connection.execute(
            "SELECT status, payment_intent_id FROM billing_scheduledcharge ORDER BY sequence"
        ).fetchall()


def test_customer_confirms_the_payment_with_the_bank(site, stripe_standin, desktop, shoot):
    page = desktop
    start_tryout(page, site.base_url, "confirm@example.com", CARD_AUTHENTICATION, bank_check=True)
    billing_run_after_the_tryout(site, stripe_standin)
    (first_status, first_intent), _ = charges(site)
    assert first_status == "awaiting_confirmation"

    page.goto(site.base_url + "/shop/accounts/program/")
    expect(page.locator("body")).to_contain_text("Confirmation needed")
    expect(page.locator("body")).to_contain_text("Your bank asks you to confirm payment 1 of 2")
    shoot(page, "program-confirmation-needed")
    assert axe_violations(page) == []

    page.goto(confirmation_link(site))
    expect(page.get_by_role("heading", name="Confirm your payment of $98.50")).to_be_visible()
    assert axe_violations(page) == []
    shoot(page, "confirm-payment")
    page.get_by_role("button", name="Confirm payment of $98.50").click()
    page.get_by_role("button", name="Complete authentication").click()

    expect(page).to_have_url(re.compile(r"/shop/accounts/program/$"))
    expect(page.locator("body")).to_contain_text("payment 1 of 2 is confirmed and paid")
    expect(page.locator("body")).to_contain_text("Payments under way")
    shoot(page, "payment-confirmed")
    assert charges(site)[0] == ("paid", first_intent)

    # The link again (a reload, the email opened twice): nothing to do, nothing charged.
    page.goto(confirmation_link(site))
    expect(page.locator("#confirm-link-error")).to_contain_text("has already been made")
    assert charges(site)[0] == ("paid", first_intent)


def test_a_failed_check_then_another_card_pays_it(site, stripe_standin, desktop, shoot):
    page = desktop
    start_tryout(
        page, site.base_url, "another-card@example.com", CARD_AUTHENTICATION, bank_check=True
    )
    billing_run_after_the_tryout(site, stripe_standin)
    (_, first_intent), _ = charges(site)

    page.goto(confirmation_link(site))
    page.get_by_role("button", name="Confirm payment of $98.50").click()
    page.get_by_role("button", name="Fail authentication").click()
    expect(page.locator("#confirm-error")).to_contain_text("Your bank did not confirm the payment")
    shoot(page, "confirm-failed")
    assert charges(site)[0] == ("awaiting_confirmation", first_intent)

    page.get_by_role("link", name="Use another card").click()
    expect(page.locator("#failed-payments")).to_contain_text("waits for you to confirm it")
    assert axe_violations(page) == []
    fill_card(page, "4242424242424242")
    page.get_by_role("button", name="Save card and pay now").click()

    expect(page).to_have_url(re.compile(r"/shop/accounts/program/$"))
    expect(page.locator("body")).to_contain_text("the payment went through")
    expect(page.locator("body")).to_contain_text("Payments under way")
    expect(page.locator("body")).to_contain_text("····4242")
    shoot(page, "paid-with-another-card")
    status, intent = charges(site)[0]
    assert status == "paid" and intent != first_intent
