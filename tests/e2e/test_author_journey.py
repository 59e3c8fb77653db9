"""The author in the CMS: edits a section of the article, previews, publishes; adds a
testimonial; the public pages show the changes."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def sign_in(page: Page, site) -> None:
    page.goto(site.base_url + "/cms/login/")
    page.fill("input[name=username]", site.admin_username)
    page.fill("input[name=password]", site.admin_password)
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    expect(page).to_have_url(re.compile(r"/cms/$"))


def test_author_edits_previews_and_publishes(site, desktop, shoot):
    page = desktop
    sign_in(page, site)
    shoot(page, "dashboard")

    # Edit a paragraph of the article on the home page.
    page.goto(site.base_url + "/cms/pages/")
    page.goto(site.base_url + f"/cms/pages/{site.home_page_id}/edit/")
    editor = page.locator(".public-DraftEditor-content", has_text="Don't take it on faith")
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" The author added this line today.")
    page.get_by_role("button", name=re.compile("Save draft", re.I)).click()
    expect(page.locator(".messages")).to_contain_text(re.compile("(saved|updated)", re.I))
    assert "The author added this line today." not in page.request.get(site.base_url + "/").text()

    # The preview panel shows the draft as visitors will see it.
    page.locator('[data-side-panel-toggle="preview"]').click()
    preview = page.frame_locator("#w-preview-iframe")
    expect(preview.locator("body")).to_contain_text("The author added this line today.")
    shoot(page, "preview")

    page.locator("[data-w-dropdown-target='toggle']").last.click()
    page.get_by_role("button", name=re.compile("^Publish", re.I)).click()
    expect(page.locator(".messages")).to_contain_text(re.compile("published", re.I))
    shoot(page, "published")
    assert "The author added this line today." in page.request.get(site.base_url + "/").text()

    # A new testimonial with consent, shown on the testimonials page.
    page.goto(site.base_url + "/cms/snippets/home/testimonial/add/")
    page.fill("textarea[name=quote]", "After two weeks I could garden again without pain.")
    page.fill("input[name=person]", "Pat Reader")
    page.check("input[name=consent_to_publish]")
    page.get_by_role("button", name=re.compile("^Save", re.I)).first.click()
    expect(page.locator(".messages")).to_contain_text("Pat Reader")
    shoot(page, "snippets")
    testimonials = page.request.get(site.base_url + "/testimonials/").text()
    assert "After two weeks I could garden again without pain." in testimonials
