"""A customer signs in, downloads their data, then deletes the account: signed out, the
order kept without them, one last email."""

import json
import re
import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import start_tryout
from tests.e2e.test_customer_journey import axe_violations

pytestmark = pytest.mark.e2e

EMAIL = "leaving@example.com"
PASSWORD = "a-long-pass-phrase-1"


def test_customer_downloads_their_data_then_deletes_the_account(site, desktop, shoot):
    page = desktop
    start_tryout(page, site.base_url, EMAIL)
    page.context.clear_cookies()

    page.goto(site.base_url + "/shop/accounts/login/")
    page.fill("#id_login-username", EMAIL)
    page.fill("#id_login-password", PASSWORD)
    page.click("button[name=login_submit]")
    expect(page).to_have_url(re.compile(r"/shop/accounts/"))

    # From the profile, as the account menu offers it.
    page.get_by_role("link", name="Profile").first.click()
    page.get_by_role("link", name="My data").first.click()
    expect(page.locator("h2#download-heading")).to_be_visible()
    shoot(page, "my-data")
    assert axe_violations(page) == []
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download my data").click()
    download = download_info.value
    assert re.fullmatch(r"my-data-\d{4}-\d{2}-\d{2}\.json", download.suggested_filename)
    data = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert data["profile"]["email"] == EMAIL
    assert len(data["orders"]) == 1 and len(data["consents"]) == 1
    assert data["installment_plans"][0]["status"] == "Free tryout"

    page.locator("#delete-account-link").click()
    expect(page.get_by_role("heading", name="Delete my account")).to_be_visible()
    assert axe_violations(page) == []
    page.fill("#id_password", "not-my-password")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.locator("#delete-error")).to_contain_text("That password is not right")
    shoot(page, "delete-refused")
    assert axe_violations(page) == []

    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.locator("body")).to_contain_text("Your account is deleted")
    shoot(page, "deleted")

    page.goto(site.base_url + "/shop/accounts/program/")
    expect(page).to_have_url(re.compile(r"/shop/accounts/login/"))
    with sqlite3.connect(site.database) as db:
        users = db.execute("SELECT COUNT(*) FROM auth_user WHERE email = ?", (EMAIL,)).fetchone()
        orders = db.execute("SELECT user_id, guest_email FROM order_order").fetchall()
        plans = db.execute("SELECT status FROM billing_installmentplan").fetchall()
    assert users == (0,)
    assert orders == [(None, "")]
    assert plans == [("trial_quit",)]
    subjects = [message["Subject"] for message in site.emails()]
    assert subjects.count("Your account is deleted") == 1
