"""The author in the CMS: edits a section of the article, previews, publishes; adds a
testimonial and a glossary term; uploads a file of the program. The public pages show the
changes, and a customer downloads the new file exactly as it was uploaded."""

import hashlib
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import open_from_the_shop_menu, start_tryout

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
    # Draftail writes its state into the form a moment after the last key (debounced).
    page.wait_for_function(
        """() => [...document.querySelectorAll("input[type=hidden]")]
            .some((input) => input.value.includes("The author added this line today."))"""
    )
    page.get_by_role("button", name=re.compile("Save draft", re.I)).click()
    expect(page.locator(".messages")).to_contain_text(re.compile("(saved|updated)", re.I))
    assert "The author added this line today." not in page.request.get(site.base_url + "/").text()

    # The preview panel shows the draft as visitors will see it.
    page.locator('[data-side-panel-toggle="preview"]').click()
    preview = page.frame_locator("#w-preview-iframe")
    # The first render of a draft makes its pictures' renditions (AVIF among them): seconds.
    expect(preview.locator("body")).to_contain_text(
        "The author added this line today.", timeout=20_000
    )
    shoot(page, "preview")

    page.locator("[data-w-dropdown-target='toggle']").last.click()
    page.get_by_role("button", name=re.compile("^Publish", re.I)).click()
    expect(page.locator(".messages")).to_contain_text(re.compile("published", re.I))
    shoot(page, "published")
    assert "The author added this line today." in page.request.get(site.base_url + "/").text()

    # A new testimonial with consent recorded (the day and the way the person agreed), shown
    # on the testimonials page with the wording a result that is not typical needs.
    page.goto(site.base_url + "/cms/snippets/home/testimonial/add/")
    page.fill("textarea[name=quote]", "After two weeks I could garden again without pain.")
    page.fill("input[name=person]", "Pat Reader")
    page.check("input[name=consent_to_publish]")
    page.fill("input[name=consent_given_on]", "2025-06-01")
    page.keyboard.press("Escape")  # the date picker closes
    page.select_option("select[name=consent_method]", "email")
    page.select_option("select[name=result]", "not_typical")
    page.get_by_role("button", name=re.compile("^Save", re.I)).first.click()
    expect(page.locator(".messages")).to_contain_text("Pat Reader")
    row = page.locator("table.listing tbody tr", has_text="Pat Reader")
    expect(row).to_contain_text("Recorded")
    expect(row).to_contain_text("Not typical")
    shoot(page, "snippets")
    page.goto(site.base_url + "/testimonials/")
    figure = page.locator("figure.testimonial", has_text="Pat Reader")
    expect(figure).to_contain_text("After two weeks I could garden again without pain.")
    expect(figure.locator(".testimonial-disclosures")).to_be_visible()
    expect(figure.locator(".testimonial-disclosures")).to_contain_text(
        "Please note: This result is not typical"
    )


def test_author_adds_a_glossary_term_the_article_links(site, desktop, shoot):
    page = desktop
    sign_in(page, site)
    assert "#term-chiropractic-adjustment" not in page.request.get(site.base_url + "/").text()

    page.get_by_role("link", name="Glossary").first.click()
    page.get_by_role("link", name=re.compile("Add glossary term", re.I)).first.click()
    expect(page).to_have_url(re.compile(r"/cms/snippets/home/glossaryterm/add/$"))
    page.fill("input[name=term]", "Chiropractic adjustment")
    definition = page.locator("[data-contentpath=definition]")
    definition.locator(".public-DraftEditor-content").click()
    page.keyboard.type("A quick, ")
    page.keyboard.press("Control+b")
    page.keyboard.type("forceful")
    page.keyboard.press("Control+b")
    page.keyboard.type(" push on a joint of the spine, given by a chiropractor.")
    # Draftail copies the text into the form's hidden input a quarter of a second after the
    # last key: saving before then would send an empty definition.
    expect(definition.locator("input[name=definition]")).to_have_value(
        re.compile('"BOLD".*given by a chiropractor|given by a chiropractor.*"BOLD"')
    )
    # Moving on from the term filled in the slug.
    expect(page.locator("input[name=slug]")).to_have_value("chiropractic-adjustment")
    page.fill("input[name=source]", "The author's notes")
    page.fill("input[name=also_matches]", "adjustment, adjustments")
    shoot(page, "glossary-term-form")
    page.get_by_role("button", name=re.compile("^Save", re.I)).first.click()
    expect(page.locator(".messages")).to_contain_text("Chiropractic adjustment")

    page.goto(site.base_url + "/glossary/")
    expect(page.locator("dt#term-chiropractic-adjustment")).to_have_text("Chiropractic adjustment")
    entry = page.locator("dt#term-chiropractic-adjustment + dd")
    expect(entry.locator(".glossary-definition")).to_have_text(
        "A quick, forceful push on a joint of the spine, given by a chiropractor."
    )
    expect(entry.locator(".glossary-definition b, .glossary-definition strong")).to_have_text(
        "forceful"
    )
    expect(entry.locator(".glossary-source")).to_have_text("Source: The author's notes")
    page.locator("dt#term-chiropractic-adjustment").scroll_into_view_if_needed()
    shoot(page, "glossary")

    # The article's first "Adjustments" now links to the term, its meaning in a tooltip.
    page.goto(site.base_url + "/")
    mention = page.locator(".article-body a.glossary-term[href$='#term-chiropractic-adjustment']")
    expect(mention).to_have_count(1)
    expect(mention).to_have_text("Adjustments")
    tooltip = page.locator(f"#{mention.get_attribute('aria-describedby')}")
    expect(tooltip).to_be_hidden()
    mention.focus()
    expect(tooltip).to_be_visible()
    expect(tooltip).to_have_text(
        "A quick, forceful push on a joint of the spine, given by a chiropractor."
    )
    shoot(page, "article-glossary-link")


# A small PDF with a binary comment line, so a download that altered bytes would show.
SESSION_FILE = (
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


def test_author_uploads_a_program_file_a_customer_downloads_it(site, desktop, shoot, tmp_path):
    page = desktop
    upload = tmp_path / "Session 2 - The side bend.pdf"
    upload.write_bytes(SESSION_FILE)
    sign_in(page, site)

    # Program files are kept in the CMS, under its Shop menu.
    open_from_the_shop_menu(page, "Program files")
    page.get_by_role("link", name=re.compile("Add program file", re.I)).click()
    expect(page).to_have_url(re.compile(r"/cms/program-files/new/$"))
    product = page.locator("#id_product option", has_text="Get Free from That Back Pain")
    page.select_option("#id_product", product.first.get_attribute("value"))
    page.fill("#id_title", "Session 2: the side bend")
    page.fill("#id_description", "Lying on your side, the waist muscles let go.")
    page.set_input_files("#id_file", upload)
    shoot(page, "program-file-form")
    page.get_by_role("button", name="Create").click()
    expect(page.locator(".messages")).to_contain_text("Session 2: the side bend")

    # The list shows the recorded size; the file's page its checksum and download name.
    row = page.locator("table.listing tbody tr", has_text="Session 2: the side bend")
    expect(row).to_contain_text(f"{len(SESSION_FILE)} bytes")
    shoot(page, "program-files")
    row.get_by_role("link", name="Session 2: the side bend").click()
    expect(page.get_by_text(hashlib.sha256(SESSION_FILE).hexdigest())).to_be_visible()
    expect(page.locator("#id_original_filename")).to_have_value(upload.name)
    shoot(page, "program-file")

    # A new customer starts the tryout and downloads the file from "My program".
    page.context.clear_cookies()
    start_tryout(page, site.base_url, "new-customer@example.com")
    page.goto(site.base_url + "/shop/accounts/downloads/")  # the old address leads there
    file_row = page.locator("li.program-file", has_text="Session 2: the side bend")
    expect(file_row).to_contain_text("Lying on your side, the waist muscles let go.")
    expect(file_row).to_contain_text(f"{len(SESSION_FILE)} bytes")
    shoot(page, "customer-downloads")
    with page.expect_download() as download_info:
        file_row.get_by_role("link", name="Download").click()
    download = download_info.value
    assert download.suggested_filename == upload.name
    assert Path(download.path()).read_bytes() == SESSION_FILE
