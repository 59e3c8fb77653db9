"""With the Content Security Policy enforced, the whole site still works in a real browser and
the browser refuses nothing: the article and its video, checkout with Stripe.js, the CMS
(editor, preview, explorer, images) and the shop dashboard (menus, a product, an order)."""

import re
import sqlite3

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import start_tryout
from tests.e2e.test_author_journey import sign_in

pytestmark = pytest.mark.e2e


def record_violations(page: Page) -> list[str]:
    """Every policy refusal the browser reports on this page's console, in any frame."""
    refused: list[str] = []

    def on_console(message) -> None:
        if "Content Security Policy" in message.text:
            refused.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    return refused


def test_visitor_reads_the_article_and_pays_under_the_policy(site, phone, shoot):
    page = phone
    refused = record_violations(page)

    response = page.goto(site.base_url + "/")
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy.split("script-src ")[1].split(";")[0]
    # The site's own script runs: pressing play swaps the placeholder for the player's frame.
    page.locator("[data-video-embed]").first.click()
    expect(page.locator(".video-frame iframe").first).to_have_attribute(
        "src", re.compile(r"^https://www\.youtube-nocookie\.com/embed/")
    )
    shoot(page, "article")
    page.goto(site.base_url + "/glossary/")
    expect(page.locator("h1")).to_be_visible()

    # Checkout: Stripe.js from the stand-in builds the card field, saves the card.
    start_tryout(page, site.base_url, "policy@example.com")
    expect(page.locator(".trial-confirmation")).to_contain_text("nothing has been charged today")
    shoot(page, "confirmation")
    page.goto(site.base_url + "/shop/accounts/")
    expect(page.locator("h1")).to_be_visible()

    assert refused == [], "\n".join(refused)


def test_staff_work_in_the_cms_and_the_dashboard_under_the_policy(site, desktop, shoot):
    page = desktop
    refused = record_violations(page)
    # An order for the dashboard to show.
    start_tryout(page, site.base_url, "ordered@example.com")
    sign_in(page, site)

    # The page editor: the StreamField and its rich text editors are built by scripts.
    page.goto(site.base_url + f"/cms/pages/{site.home_page_id}/edit/")
    expect(page.locator("[data-streamfield-stream-container]").first).to_be_visible()
    expect(page.locator(".public-DraftEditor-content").first).to_be_visible()
    # The preview panel frames our own page: allowed by frame-ancestors 'self' only there.
    page.locator('[data-side-panel-toggle="preview"]').click()
    preview = page.frame_locator("#w-preview-iframe")
    expect(preview.locator("main")).to_be_visible(timeout=15_000)
    shoot(page, "page-editor")

    page.goto(site.base_url + f"/cms/pages/{site.home_page_id}/")
    expect(page.locator("table.listing, .listing").first).to_be_visible()
    page.goto(site.base_url + "/cms/images/")
    expect(page.get_by_role("heading", name=re.compile("Images", re.I)).first).to_be_visible()
    shoot(page, "images")

    # The shop dashboard: its menus open, a product and the orders list load.
    page.goto(site.base_url + "/shop/dashboard/")
    menu = page.locator("#navbarSupportedContent .dropdown-toggle, nav .dropdown-toggle").first
    menu.click()
    expect(page.locator(".dropdown-menu.show").first).to_be_visible()
    shoot(page, "dashboard")
    page.goto(site.base_url + "/shop/dashboard/catalogue/")
    page.locator("table a[href*='/products/']").first.click()
    expect(page.locator("form#product_form, form").first).to_be_visible()
    page.goto(site.base_url + "/shop/dashboard/orders/")
    expect(page.locator("h1")).to_contain_text("Orders")
    with sqlite3.connect(site.database) as connection:
        (number,) = connection.execute("SELECT number FROM order_order").fetchone()
    page.goto(site.base_url + f"/shop/dashboard/orders/{number}/")
    expect(page.locator("#installment-plan")).to_contain_text("Free tryout")
    # Its tabs are switched by the script the page starts with the nonce.
    page.locator("a[href='#notes']").click()
    expect(page.locator("#notes")).to_be_visible()
    expect(page.locator("#lines")).to_be_hidden()
    shoot(page, "order")
    page.goto(site.base_url + "/django-admin/")
    expect(page.locator("#site-name, h1").first).to_be_visible()

    assert refused == [], "\n".join(refused)
