"""Issue 20's acceptance journey: a new visitor goes from the article's offer to a video
playing in "My program", and every page on the way is the site's own (its header with the
account links, its footer and stylesheet, never Oscar's theme) and fits a phone's screen.
Playing is logged as downloading is, and is refused to someone without the program."""

import re
import sqlite3

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import fill_card
from tests.e2e.test_customer_journey import axe_violations
from tests.support.browser import DESKTOP, PHONE

pytestmark = pytest.mark.e2e

EMAIL = "new-reader@example.com"
PASSWORD = "a-long-pass-phrase-1"


def assert_the_sites_own_page(page: Page, name: str) -> None:
    """The site's header (title leading home, the account links), footer and stylesheet, no
    Oscar theme or Bootstrap, and nothing wider than the screen, at phone and desktop width."""
    header = page.locator("header.site-header")
    expect(header.locator("a.site-name")).to_have_attribute("href", "/")
    expect(page.locator("footer.site-footer")).to_be_visible()
    sheets = page.evaluate("[...document.styleSheets].map(s => s.href || '')")
    assert any(sheet.endswith(".css") and "/css/site" in sheet for sheet in sheets), name
    assert not [sheet for sheet in sheets if "/oscar/" in sheet], name
    assert page.locator(".navbar, .basket-mini, #top_page").count() == 0, name
    original = page.viewport_size
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size["width"], f"{name} is {width} px wide at {size['width']}"
    page.set_viewport_size(original)


def account_links(page: Page) -> list[str]:
    return page.locator("nav[aria-label='Your account'] a").all_inner_texts()


def plays_logged(database) -> list[tuple[str, str]]:
    with sqlite3.connect(database) as connection:
        return connection.execute(
            "SELECT kind, file_title FROM downloads_downloadlog ORDER BY id"
        ).fetchall()


def test_a_new_visitor_goes_from_the_offer_to_a_playing_video_on_one_site(
    site, browser, desktop, shoot
):
    page = desktop
    page.goto(site.base_url + "/")
    assert_the_sites_own_page(page, "article")
    assert account_links(page) == ["Sign in"]

    # The store link opens the program's page, in the same site.
    page.locator("nav[aria-label='Main']").get_by_role("link", name="store").click()
    expect(page.locator("h1")).to_have_text("Get Free from That Back Pain")
    assert_the_sites_own_page(page, "product page")
    shoot(page, "product-page")

    # The article's offer goes straight into checkout: the account step comes first.
    page.goto(site.base_url + "/")
    page.locator("section.offer").get_by_role(
        "button", name=re.compile("Start the free 2-week tryout")
    ).click()
    expect(page).to_have_url(re.compile(r"/shop/accounts/login/\?next=/shop/checkout/"))
    assert_the_sites_own_page(page, "account step")
    shoot(page, "account-step")
    page.fill("#id_registration-email", EMAIL)
    page.fill("#id_registration-password1", PASSWORD)
    page.fill("#id_registration-password2", PASSWORD)
    page.click("button[name=registration_submit]")

    expect(page).to_have_url(re.compile(r"/shop/checkout/payment-details/$"))
    assert_the_sites_own_page(page, "checkout")
    assert account_links(page) == ["My program", "Sign out"]
    shoot(page, "checkout")
    page.select_option("select[name=country]", "US")
    fill_card(page, "4242424242424242")
    page.check("#id_consent")
    page.get_by_role("button", name=re.compile("Start free 2-week tryout")).click()

    expect(page).to_have_url(re.compile(r"/shop/checkout/thank-you/$"))
    assert_the_sites_own_page(page, "thank-you")
    shoot(page, "thank-you")

    # "My program" from the header: the customer's home, with the program playable.
    page.locator("nav[aria-label='Your account']").get_by_role("link", name="My program").click()
    expect(page.locator("h1")).to_have_text("My program")
    assert_the_sites_own_page(page, "my program")
    video = page.locator("li.program-file video").first
    page.wait_for_function("() => document.querySelector('li.program-file video').readyState >= 1")
    video.evaluate("v => { v.muted = true; v.play(); }")
    page.wait_for_function("() => document.querySelector('li.program-file video').currentTime > 2")
    assert not video.evaluate("v => v.paused")
    shoot(page, "my-program-playing")
    assert axe_violations(page) == []
    video.evaluate("v => v.pause()")
    play_url = site.base_url + video.get_attribute("src")

    for path, title in (
        ("/shop/accounts/orders/", "Order history"),
        ("/shop/accounts/profile/", "Profile"),
        ("/shop/accounts/emails/", "Emails received"),
    ):
        page.goto(site.base_url + path)
        expect(page.locator("h1")).to_have_text(title)
        assert_the_sites_own_page(page, title)
        shoot(page, title.lower().replace(" ", "-"))
        assert axe_violations(page) == []

    # The play is in the log, as a play; a download is logged as one.
    assert ("play", "Session 1: Lying twist (video)") in plays_logged(site.database)
    logged_before = len(plays_logged(site.database))

    # Someone without the program gets no stream: signed out, sent to sign in; signed in
    # to an account without it, the same answer as for a file that does not exist.
    stranger = browser.new_context(viewport=DESKTOP)
    response = stranger.request.get(play_url, max_redirects=0)
    assert response.status == 302 and "/shop/accounts/login/" in response.headers["location"]
    other = stranger.new_page()
    other.goto(site.base_url + "/shop/accounts/register/")
    other.fill("#id_email", "someone-else@example.com")
    other.fill("#id_password1", PASSWORD)
    other.fill("#id_password2", PASSWORD)
    other.click("button[name=registration_submit]")
    expect(other.locator("nav[aria-label='Your account']")).to_contain_text("Sign out")
    assert stranger.request.get(play_url, max_redirects=0).status == 404
    stranger.close()
    assert len(plays_logged(site.database)) == logged_before
