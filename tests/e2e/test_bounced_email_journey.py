"""A customer mistyped their address at checkout: the receipt bounced. The provider's signed
bounce reaches the running site; the author opens the customer's program in the CMS, sees
the receipt flagged "Bounced" with the reason, sends it again to the corrected address
(correcting the account too), and sees the new email listed as sent there."""

import base64
import json
import re
import sqlite3
import urllib.error
import urllib.request
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import open_from_the_shop_menu, start_tryout
from tests.e2e.test_author_journey import sign_in
from tests.support.browser import DESKTOP, PHONE, SCREENSHOTS
from tests.support.running_site import site_start, site_stop

pytestmark = pytest.mark.e2e

WEBHOOK_AUTH = "events:a-long-webhook-password-for-journeys"
MISTYPED = "bounced-reader@exmaple.com"
CORRECTED = "bounced-reader@example.com"
REASON = "The server was unable to deliver your message (unknown user)."


@pytest.fixture
def site_with_email_events(tmp_path, demo_database, stripe_standin):
    running = site_start(
        tmp_path, demo_database, stripe_base=stripe_standin, ANYMAIL_WEBHOOK_SECRET=WEBHOOK_AUTH
    )
    yield running
    site_stop(running)


def receipt_message_id(database) -> str:
    """The message id the provider names the receipt by (given one here when the mail
    backend of the journeys gave it none)."""
    with sqlite3.connect(database) as connection:
        email_id, message_id = connection.execute(
            "SELECT id, message_id FROM billing_outgoingemail WHERE code = 'ORDER_PLACED'"
        ).fetchone()
        if not message_id:
            message_id = "journey-receipt-0001"
            connection.execute(
                "UPDATE billing_outgoingemail SET message_id = ? WHERE id = ?",
                (message_id, email_id),
            )
    return message_id


@pytest.fixture
def shoot_part(request):
    """Screenshots at phone and desktop widths, each scrolled to ``part``: the CMS scrolls
    inside its own panel, so a whole-page shot shows only its top."""
    folder = SCREENSHOTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    shots = {"n": 0}

    def take(page, part, name: str) -> None:
        shots["n"] += 1
        for label, size in (("390", PHONE), ("1280", DESKTOP)):
            page.set_viewport_size(size)
            part.scroll_into_view_if_needed()
            page.screenshot(path=str(folder / f"{shots['n']:02d}-{name}-{label}.png"))
        page.set_viewport_size(DESKTOP)

    return take


def postmark_post(site, body: dict, credentials: str) -> int:
    request = urllib.request.Request(
        site.base_url + "/shop/email-events/postmark/tracking/",
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": "Basic " + base64.b64encode(credentials.encode()).decode(),
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


def test_the_author_sees_a_bounced_receipt_and_sends_it_to_the_corrected_address(
    site_with_email_events, browser, desktop, shoot_part
):
    site = site_with_email_events
    customer_context = browser.new_context(viewport=DESKTOP)
    start_tryout(customer_context.new_page(), site.base_url, MISTYPED)
    customer_context.close()

    bounce = {
        "RecordType": "Bounce",
        "ID": 7001,
        "Type": "HardBounce",
        "TypeCode": 1,
        "Name": "Hard bounce",
        "MessageID": receipt_message_id(site.database),
        "Description": REASON,
        "Details": "smtp;550 5.1.1 user unknown",
        "Email": MISTYPED,
        "BouncedAt": datetime.now(UTC).isoformat(),
        "Metadata": {},
    }
    # Without the webhook's password the site refuses it; with it, it is taken.
    assert postmark_post(site, bounce, "events:guessed") == 400
    assert postmark_post(site, bounce, WEBHOOK_AUTH) == 200

    page = desktop
    sign_in(page, site)
    open_from_the_shop_menu(page, "Customers' programs")
    page.get_by_role("textbox", name="Search term").fill(MISTYPED)
    page.keyboard.press("Enter")
    row = page.locator("table.listing tbody tr", has_text=MISTYPED)
    expect(row).to_have_count(1)
    row.get_by_role("link").first.click()

    emails = page.locator("#plan-emails")
    receipt = emails.locator("tbody tr", has_text="Bounced")
    expect(receipt).to_have_count(1)
    expect(receipt).to_contain_text(REASON)
    expect(receipt).to_contain_text(MISTYPED)
    shoot_part(page, emails, "program-with-bounced-receipt")

    receipt.get_by_role("link", name=re.compile("Send again to another address")).click()
    address = page.get_by_label("Send to")
    expect(address).to_have_value(MISTYPED)
    address.fill("not an address")
    page.get_by_role("button", name="Send the email").click()
    expect(page.locator("[role=alert]")).to_contain_text("is not an email address")
    page.get_by_label("Send to").fill(CORRECTED)
    page.get_by_label("Also use this address for the customer's account").check()
    shoot_part(page, page.locator("#email-resend-form"), "send-again-form")
    page.get_by_role("button", name="Send the email").click()

    expect(page.locator(".messages")).to_contain_text(f"The email was sent again to {CORRECTED}")
    resent = page.locator("#plan-emails tbody tr", has_text="sent again")
    expect(resent).to_have_count(1)
    expect(resent).to_contain_text(CORRECTED)
    expect(resent).not_to_contain_text("waiting")
    expect(page.locator("#plan-summary")).to_contain_text(CORRECTED)
    expect(page.locator("#plan-events")).to_contain_text(f"sent again to {CORRECTED}")
    shoot_part(page, page.locator("#plan-emails"), "program-after-sending-again")

    # The receipt left the site for the corrected address.
    assert any(CORRECTED in (message["To"] or "") for message in site.emails())

    # The listing of emails sent finds the bounce under its filter.
    open_from_the_shop_menu(page, "Emails sent")
    page.goto(page.url.split("?")[0] + "?delivery=flagged")
    flagged = page.locator("table.listing tbody tr")
    expect(flagged).to_have_count(1)
    expect(flagged).to_contain_text("Bounced")
    shoot_part(page, flagged, "emails-sent-bounced-filter")
