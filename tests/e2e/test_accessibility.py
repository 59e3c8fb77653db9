"""axe-core on the pages visitors and customers use: no violation of the WCAG 2.2 A and AA
rules."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.helpers import add_program_to_basket, register_at_checkout

pytestmark = pytest.mark.e2e

WCAG_22_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}
}


def violations(page) -> list[str]:
    results = Axe().run(page, options=WCAG_22_AA)
    found = []
    for violation in results.response["violations"]:
        targets = [", ".join(node["target"]) for node in violation["nodes"]][:5]
        found.append(f"{violation['id']} ({violation['impact']}): {targets}")
    return found


PUBLIC_PAGES = [
    "/",
    "/glossary/",
    "/back-pain-questions-and-answers/",
    "/testimonials/",
    "/site-contents/",
    "/contact/",
    "/feedback/",
    "/shop/catalogue/",
]


def test_public_pages_have_no_wcag_violations(site, desktop, phone):
    problems = {}
    for page in (desktop, phone):
        for path in PUBLIC_PAGES:
            page.goto(site.base_url + path)
            found = violations(page)
            if found:
                problems[f"{path} @ {page.viewport_size['width']}"] = found
    assert problems == {}


def test_shop_and_account_pages_have_no_wcag_violations(site, desktop):
    page = desktop
    problems = {}
    add_program_to_basket(page, site.base_url)
    # The store opens the demo's one program.
    page.goto(site.base_url + "/shop/")
    expect(page.locator("h1")).to_have_text("Get Free from That Back Pain")
    for name, action in [
        ("product", lambda: None),
        ("basket", lambda: page.goto(site.base_url + "/shop/basket/")),
        ("sign in", lambda: page.goto(site.base_url + "/shop/accounts/login/")),
        ("checkout", lambda: register_at_checkout(page, site.base_url, "a11y@example.com")),
        ("account", lambda: page.goto(site.base_url + "/shop/accounts/")),
        ("my program", lambda: page.goto(site.base_url + "/shop/accounts/program/")),
    ]:
        action()
        found = violations(page)
        if found:
            problems[name] = found
    assert problems == {}
