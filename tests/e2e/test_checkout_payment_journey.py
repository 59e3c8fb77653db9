"""Paying at checkout in the browser: the program bought again without the tryout with a
card whose bank checks the cardholder (4000 0025 0000 3155), and a webinar recording bought
outright with 4242. Each payment is taken once; the order appears only once it is paid."""

import re
import sqlite3

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    CARD_OK,
    add_program_to_basket,
    count_rows,
    fill_card,
    register_at_checkout,
    start_tryout,
)
from tests.e2e.test_accessibility import violations
from tests.support.processes import clean_env, manage

pytestmark = pytest.mark.e2e

CARD_BANK_CHECK = "4000002500003155"

RECORDING = """
from decimal import Decimal
from oscar.core.loading import get_model
ProductClass = get_model("catalogue", "ProductClass")
Product = get_model("catalogue", "Product")
Partner = get_model("partner", "Partner")
StockRecord = get_model("partner", "StockRecord")
kind, _ = ProductClass.objects.get_or_create(
    slug="webinar-recording",
    defaults={"name": "Webinar recording", "requires_shipping": False, "track_stock": False},
)
product = Product.objects.create(
    title="Webinar recording: Why back pain comes back", product_class=kind,
    structure="standalone", is_public=True,
)
StockRecord.objects.create(
    product=product, partner=Partner.objects.first(), partner_sku="WEBINAR-1",
    price_currency="USD", price=Decimal("49.00"),
)
"""


def succeeded_payments(site) -> list:
    with sqlite3.connect(site.database) as connection:
        return connection.execute(
            "SELECT payment_intent_id FROM checkout_checkoutpayment WHERE order_id IS NOT NULL"
        ).fetchall()


def test_program_bought_again_without_the_tryout_with_the_banks_check(site, phone, shoot):
    page = phone
    start_tryout(page, site.base_url, "again@example.com")
    with sqlite3.connect(site.database) as connection:
        connection.execute("UPDATE billing_trialoffer SET sell_without_trial = 1")

    add_program_to_basket(page, site.base_url)
    page.goto(site.base_url + "/shop/checkout/")
    expect(page).to_have_url(re.compile(r"/shop/checkout/payment-details/$"))
    expect(page.locator("#no-trial-note")).to_contain_text("already had the free tryout")
    page.select_option("select[name=country]", "US")
    fill_card(page, CARD_BANK_CHECK)
    page.check("#id_consent")
    shoot(page, "without-tryout")
    assert violations(page) == []
    page.get_by_role("button", name="Pay $98.50 now").click()
    # The bank checks the card as it is saved, then again for the payment itself.
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.locator("#confirm-heading")).to_contain_text("Confirm your payment of $98.50")
    expect(page.get_by_role("button", name="Complete authentication")).to_be_visible()
    shoot(page, "bank-check")
    assert count_rows(site.database, "order_order") == 1
    page.get_by_role("button", name="Complete authentication").click()

    expect(page).to_have_url(re.compile(r"/shop/checkout/thank-you/$"))
    expect(page.locator(".trial-confirmation")).to_contain_text("$98.50 has been charged today")
    shoot(page, "paid")
    assert violations(page) == []
    assert count_rows(site.database, "order_order") == 2
    with sqlite3.connect(site.database) as connection:
        (paid_with,) = connection.execute(
            "SELECT payment_intent_id FROM billing_scheduledcharge WHERE status = 'paid'"
        ).fetchone()
    assert [row[0] for row in succeeded_payments(site)] == [paid_with]


def test_webinar_recording_bought_outright_with_4242(site, desktop, shoot):
    page = desktop
    env = clean_env(DJANGO_SETTINGS_MODULE="config.settings.dev")
    env["DATABASE_URL"] = f"sqlite:///{site.database}"
    output = site.mail_dir.parent / "recording-url.txt"
    keep_url = f"\nopen({str(output)!r}, 'w').write(product.get_absolute_url())\n"
    manage("shell", "-c", RECORDING + keep_url, env=env)
    page.goto(site.base_url + output.read_text().strip())
    page.get_by_role("button", name=re.compile("Add to (cart|basket)")).click()
    expect(page.locator(".alert-success").first).to_be_visible()

    register_at_checkout(page, site.base_url, "listener@example.com")
    summary = page.locator(".purchase-summary")
    expect(summary).to_contain_text("Webinar recording: Why back pain comes back")
    expect(summary).to_contain_text("$49.00")
    page.select_option("select[name=country]", "US")
    fill_card(page, CARD_OK)
    page.check("#id_consent")
    shoot(page, "pay-outright")
    assert violations(page) == []
    page.get_by_role("button", name="Pay $49.00 now").click()

    expect(page).to_have_url(re.compile(r"/shop/checkout/thank-you/$"))
    expect(page.locator(".purchase-confirmation")).to_contain_text("$49.00 has been charged today")
    shoot(page, "paid-outright")
    assert violations(page) == []
    page.get_by_role("link", name="Open My program").click()
    expect(page.locator("body")).to_contain_text("Webinar recording: Why back pain comes back")
    shoot(page, "my-downloads")
    assert count_rows(site.database, "order_order") == 1
    assert len(succeeded_payments(site)) == 1
    receipts = [m for m in site.emails() if "listener@example.com" in m["To"]]
    assert receipts and "Receipt for order" in receipts[-1]["Subject"]
