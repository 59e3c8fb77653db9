"""A customer signs in, downloads a file of the program from "My program", then quits the
free tryout and sees the new state and when access ends."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from demo.loader import CONTENT_DIR, demo_content
from tests.e2e.helpers import start_tryout
from tests.e2e.test_accessibility import WCAG_22_AA

pytestmark = pytest.mark.e2e

BOOK = demo_content("program")["files"][0]


def axe_violations(page) -> list[str]:
    results = Axe().run(page, options=WCAG_22_AA).response
    return [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in results["violations"]]


def test_customer_downloads_then_quits_the_tryout(site, desktop, shoot):
    page = desktop
    # Earlier: the customer started the tryout.
    start_tryout(page, site.base_url, "customer@example.com")
    page.context.clear_cookies()

    # Now: signs in.
    page.goto(site.base_url + "/shop/accounts/login/")
    page.fill("#id_login-username", "customer@example.com")
    page.fill("#id_login-password", "a-long-pass-phrase-1")
    page.click("button[name=login_submit]")
    expect(page).to_have_url(re.compile(r"/shop/accounts/"))

    page.get_by_role("link", name="My program").first.click()
    expect(page.locator("body")).to_contain_text(BOOK["title"])
    shoot(page, "my-program")
    assert axe_violations(page) == []
    with page.expect_download() as download_info:
        page.locator("a[href*='/shop/accounts/downloads/file/']").first.click()
    download = download_info.value
    assert download.suggested_filename == BOOK["filename"]
    assert (
        Path(download.path()).read_bytes() == (CONTENT_DIR / "media" / BOOK["media"]).read_bytes()
    )

    page.get_by_role("button", name="Quit 2-Week Tryout").click()
    # One press: the confirmation opens in the page, and its button quits.
    dialog = page.get_by_role("dialog", name="Quit your free tryout?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Nothing will be charged")
    assert axe_violations(page) == []
    dialog.get_by_role("button", name="Yes, quit the tryout").click()
    expect(page.locator("body")).to_contain_text("You have quit the free tryout")
    expect(page.locator("body")).to_contain_text("Tryout quit")
    trial_end = datetime.now(tz=UTC).date() + timedelta(days=14)
    expect(page.locator("body")).to_contain_text(f"{trial_end:%B} {trial_end.day}, {trial_end:%Y}")
    shoot(page, "quit")
    # Until the tryout's end the files stay available.
    expect(page.locator("li.program-file").first).to_contain_text(BOOK["title"])
