"""A shop manager in the CMS: the dashboard's sales panel, then the sales report with its
charts and tables, at desktop and phone widths, without horizontal scrolling at 390 pixels
and without WCAG violations."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_accessibility import violations
from tests.support.processes import clean_env, manage

pytestmark = pytest.mark.e2e

MANAGER, PASSWORD = "manager", "a-long-pass-phrase-1"

# The known set of plans of the sales tests (Sep to Nov 2026), and a shop manager: the
# group the lead creates, with access to the CMS and to the sales figures.
SETUP = f"""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from tests.shop.sales_plans import known_plans

known_plans()
group, _ = Group.objects.get_or_create(name="Shop manager")
group.permissions.add(
    Permission.objects.get(codename="access_admin"),
    Permission.objects.get(codename="view_sales"),
)
user = get_user_model().objects.create_user(
    "{MANAGER}", "manager@example.com", "{PASSWORD}", is_staff=True
)
user.groups.add(group)
"""


def sign_in(page: Page, site) -> None:
    page.goto(site.base_url + "/cms/login/")
    page.fill("input[name=username]", MANAGER)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    expect(page).to_have_url(re.compile(r"/cms/$"))


def overflow(page: Page) -> int:
    """How far the page reaches past the window's right edge, in pixels."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


REPORT = "/cms/sales/?period_from=2026-09-07&period_to=2026-11-29"
SECTIONS = ("tryout-funnel", "money-collected", "money-scheduled", "payments-to-chase")


def shoot_sections(page: Page, shoot, prefix: str) -> None:
    """The admin scrolls inside its main column, so a full-page shot stops at the window:
    one shot per section."""
    for section in SECTIONS:
        page.locator(f"#{section}").scroll_into_view_if_needed()
        shoot(page, f"{prefix}-{section}")


def test_shop_manager_reads_the_sales_panel_and_report(site, desktop, phone, shoot):
    env = clean_env(
        DJANGO_SETTINGS_MODULE="config.settings.dev", DATABASE_URL=f"sqlite:///{site.database}"
    )
    manage("shell", "-c", SETUP, env=env)
    page = desktop
    sign_in(page, site)

    panel = page.locator(".sales-panel")
    expect(panel).to_contain_text("Collected this week")
    expect(panel).to_contain_text("Payments to chase")
    expect(panel.locator("svg[role=img] text").first).to_be_visible()
    panel.scroll_into_view_if_needed()
    shoot(page, "cms-dashboard-sales-panel")

    page.locator(".sales-panel").get_by_role("link", name="See the sales report").click()
    expect(page).to_have_url(re.compile(r"/cms/sales/$"))
    page.goto(site.base_url + REPORT)
    expect(page.get_by_role("heading", name="Money collected: $497.50")).to_be_visible()
    expect(page.get_by_role("heading", name="Payments to chase: 2")).to_be_visible()
    expect(page.locator("svg.sales-chart")).to_have_count(9)
    expect(page.get_by_role("link", name="CSV of money collected")).to_be_visible()
    shoot(page, "sales-report")
    shoot_sections(page, shoot, "sales-report")
    assert violations(page) == []

    href = page.get_by_role("link", name="CSV of money collected").get_attribute("href")
    download = page.request.get(site.base_url + href)
    assert download.ok and "2026-11-09,98.50,25.00,0.00,123.50,USD" in download.text()

    # On a phone, loaded at 390 pixels wide (the shots above were resized from desktop).
    sign_in(phone, site)
    expect(phone.locator(".sales-panel")).to_contain_text("Tryouts running")
    assert overflow(phone) <= 0
    phone.locator(".sales-panel").scroll_into_view_if_needed()
    shoot(phone, "phone-cms-dashboard-sales-panel")
    phone.goto(site.base_url + REPORT)
    expect(phone.get_by_role("heading", name="Money collected: $497.50")).to_be_visible()
    assert overflow(phone) <= 0
    shoot(phone, "phone-sales-report")
    shoot_sections(phone, shoot, "phone-sales-report")
    assert violations(phone) == []
