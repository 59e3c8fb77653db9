"""A customer's bank disputes the first payment: Stripe's signed event reaches the site,
and the author finds the dispute under Shop → Disputes, reads its evidence (the consent,
the $0 receipt, the downloads, the tryout not quit, the payment), downloads it as a PDF
that opens, and is asked before anything is sent to Stripe."""

import io
import json
import re
import sqlite3
import time
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from shop.gateway.testing import webhook_signature_header
from tests.e2e.helpers import billing_run_after_the_tryout, open_from_the_shop_menu, start_tryout
from tests.e2e.test_author_journey import sign_in
from tests.support.browser import DESKTOP

pytestmark = pytest.mark.e2e

CUSTOMER = "disputing-customer@example.com"
# The site's webhook secret: the local one, as the running site has no other.
WEBHOOK_SECRET = "whsec_local_standin"  # noqa: S105 (public, local only)


def dispute_created_post(site, intent_id: str) -> str:
    due_by = datetime.now(UTC) + timedelta(days=9)
    payload = json.dumps(
        {
            "id": "evt_dispute_journey",
            "object": "event",
            "type": "charge.dispute.created",
            "created": int(time.time()),
            "livemode": False,
            "data": {
                "object": {
                    "id": "dp_journey_1",
                    "object": "dispute",
                    "amount": 9850,
                    "currency": "usd",
                    "charge": "ch_journey_1",
                    "payment_intent": intent_id,
                    "reason": "subscription_canceled",
                    "status": "needs_response",
                    "created": int(time.time()),
                    "evidence_details": {"due_by": int(due_by.timestamp())},
                }
            },
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 (the test's own site on loopback)
        site.base_url + "/shop/stripe/webhook/",
        data=payload,
        headers={
            "Content-Type": "application/json",
            "Stripe-Signature": webhook_signature_header(payload, secret=WEBHOOK_SECRET),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.read().decode()


def test_the_author_reads_a_disputes_evidence_and_downloads_it(
    site, stripe_standin, browser, desktop, shoot
):
    customer = browser.new_context(viewport=DESKTOP)
    start_tryout(customer.new_page(), site.base_url, CUSTOMER)
    customer.close()
    billing_run_after_the_tryout(site, stripe_standin)
    with sqlite3.connect(site.database) as connection:
        (intent_id,) = connection.execute(
            "SELECT payment_intent_id FROM billing_scheduledcharge WHERE sequence = 1"
        ).fetchone()
    assert dispute_created_post(site, intent_id) == "dispute recorded"

    page = desktop
    sign_in(page, site)
    open_from_the_shop_menu(page, "Disputes")
    row = page.locator("table.listing tbody tr", has_text="$98.50")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Needs a response")
    shoot(page, "disputes")

    row.get_by_role("link").first.click()
    expect(page.locator("#evidence-consent")).to_contain_text("127.0.0.1")
    expect(page.locator("#evidence-receipt")).to_contain_text(CUSTOMER)
    expect(page.locator("#evidence-quit")).to_contain_text("The tryout was not quit")
    expect(page.locator("#evidence-payments")).to_contain_text(intent_id)
    shoot(page, "dispute-evidence")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download evidence (PDF)").click()
    pdf = PdfReader(io.BytesIO(open(download.value.path(), "rb").read()))  # noqa: SIM115
    assert len(pdf.pages) >= 2
    assert "dp_journey_1" in pdf.pages[0].extract_text()

    page.get_by_role("link", name="Send the evidence to Stripe").click()
    expect(page.locator("#send-explanation")).to_contain_text("Stripe takes evidence once")
    expect(page.get_by_role("button", name="Send the evidence to Stripe")).to_be_visible()
    shoot(page, "send-evidence-asked")

    # The program's page links the dispute.
    page.get_by_role("link", name="Back").click()
    page.locator("#dispute-summary").get_by_role("link", name=re.compile("order")).click()
    expect(page.locator("#plan-disputes")).to_contain_text("dp_journey_1")
