"""Health content readers and search engines can trust, on the running demo site.

A reader on a phone sees who reviewed the article and when, follows a numbered citation to
its source and back, and meets the medical disclaimer on the article, the Q&A and at
checkout; testimonials say what the rules ask. Search engines get a MedicalWebPage valid
against the schema.org vocabulary. The author sees the page whose review is due, reviews it,
and sees which testimonial needs its consent checked again."""

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import add_program_to_basket, register_at_checkout
from tests.e2e.test_author_journey import sign_in
from tests.support.schema_org import schema_org_problems

pytestmark = pytest.mark.e2e

REVIEWER = "Dr. Ana Whitfield"


def json_ld(page: Page) -> list[dict]:
    return [
        json.loads(text)
        for text in page.locator("script[type='application/ld+json']").all_text_contents()
    ]


def names_in(data) -> set[str]:
    """Every property name and @type anywhere in JSON-LD data."""
    if isinstance(data, list):
        return set().union(*(names_in(item) for item in data)) if data else set()
    if not isinstance(data, dict):
        return set()
    names = set(data) | ({data["@type"]} if isinstance(data.get("@type"), str) else set())
    return names.union(*(names_in(value) for value in data.values()))


def in_view(page: Page, selector: str) -> bool:
    return page.evaluate(
        """(selector) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            return box.top >= 0 && box.bottom <= window.innerHeight;
        }""",
        selector,
    )


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width} px wide"


def test_a_reader_sees_the_review_follows_a_citation_and_meets_the_disclaimer(site, phone, shoot):
    page = phone
    page.goto(site.base_url + "/")
    review = page.locator(".medical-review")
    expect(review).to_contain_text(f"Medically reviewed by {REVIEWER}")
    expect(review.locator("a.medical-reviewer-name")).to_have_attribute(
        "href", "https://www.example.com/reviewers/ana-whitfield/"
    )
    expect(page.locator(".last-updated")).to_contain_text("Last updated")
    shoot(page, "article-with-review")

    # The first citation in the text leads to its source, and the source back to the text.
    marker = page.locator("sup.citation a").first
    expect(marker).to_have_text("[1]")
    marker.click()
    expect(page).to_have_url(re.compile(r"#reference-1$"))
    source = page.locator("#reference-1")
    expect(source).to_contain_text("What low back pain is and why we need to pay attention")
    expect(
        source.locator("a[href='https://doi.org/10.1016/S0140-6736(18)30480-X']")
    ).to_be_visible()
    assert in_view(page, "#reference-1")
    shoot(page, "reference-reached")
    source.locator(".reference-back a, a.reference-back").first.click()
    expect(page).to_have_url(re.compile(r"#cite-1-1$"))
    assert in_view(page, "#cite-1-1")

    # The disclaimer, at the end of the article as the demo's settings say.
    disclaimer = page.locator("aside.medical-disclaimer")
    expect(disclaimer).to_have_count(1)
    expect(disclaimer).to_contain_text("See a doctor at once")
    body_bottom = page.locator(".article-body").bounding_box()
    assert disclaimer.bounding_box()["y"] >= body_bottom["y"] + body_bottom["height"] - 1
    disclaimer.scroll_into_view_if_needed()
    shoot(page, "disclaimer")
    no_sideways_scroll(page)

    # Search engines read the same facts, valid against the schema.org vocabulary.
    documents = json_ld(page)
    medical = next(data for data in documents if data["@type"] == "MedicalWebPage")
    assert medical["reviewedBy"]["name"] == REVIEWER
    assert medical["about"] == {"@type": "MedicalCondition", "name": "Low back pain"}
    assert len(medical["citation"]) == 3
    assert not {"Review", "AggregateRating", "review", "aggregateRating"} & names_in(documents)
    for data in documents:
        assert schema_org_problems(data) == [], data["@type"]

    # The Q&A carries its own review and the disclaimer too.
    page.goto(site.base_url + "/back-pain-questions-and-answers/")
    expect(page.locator(".medical-review")).to_contain_text(REVIEWER)
    expect(page.locator("aside.medical-disclaimer")).to_contain_text("See a doctor at once")
    shoot(page, "questions-and-answers")

    # Testimonials say when a result is not typical and when the person received something.
    page.goto(site.base_url + "/testimonials/")
    notes = page.locator(".testimonial-disclosures")
    expect(notes.filter(has_text="This result is not typical")).to_have_count(1)
    expect(notes.filter(has_text="received the program free")).to_have_count(1)
    expect(page.locator("aside.medical-disclaimer")).to_have_count(1)
    shoot(page, "testimonials")
    no_sideways_scroll(page)

    # Terms of use give no health information: no disclaimer there.
    page.goto(site.base_url + "/terms-of-use/")
    expect(page.locator("aside.medical-disclaimer")).to_have_count(0)

    # At checkout, where the card is taken, the disclaimer is said once more.
    add_program_to_basket(page, site.base_url)
    register_at_checkout(page, site.base_url, "careful-reader@example.com")
    disclaimer = page.locator("aside.medical-disclaimer")
    expect(disclaimer).to_contain_text("does not replace the advice of your doctor")
    disclaimer.scroll_into_view_if_needed()
    shoot(page, "checkout-disclaimer")
    no_sideways_scroll(page)


def test_the_author_reviews_the_page_that_is_due_and_sees_testimonials_to_check(
    site, desktop, shoot
):
    page = desktop
    sign_in(page, site)
    panel = page.get_by_role("region", name="Health content to check")
    expect(panel).to_contain_text("One health page has no medical review")
    panel.get_by_role("link", name="See the medical reviews due").click()
    expect(page).to_have_url(re.compile(r"/cms/reports/medical-reviews-due/"))
    row = page.locator("tbody tr", has_text="Back Pain Q&A")
    expect(row).to_contain_text(REVIEWER)
    shoot(page, "medical-reviews-due")

    # The reviewer checked the Q&A again today: the author records it and publishes.
    row.get_by_role("link", name=re.compile("Back Pain Q&A")).click()
    expect(page).to_have_url(re.compile(r"/cms/pages/\d+/edit/$"))
    today = page.evaluate("new Date().toISOString().slice(0, 10)")
    page.fill("input[name=last_reviewed_on]", today)
    page.keyboard.press("Escape")
    page.locator("[data-w-dropdown-target='toggle']").last.click()
    page.get_by_role("button", name=re.compile("^Publish", re.I)).click()
    expect(page.locator(".messages")).to_contain_text(re.compile("published", re.I))

    page.goto(site.base_url + "/cms/reports/medical-reviews-due/")
    expect(page.locator("tbody tr", has_text="Back Pain Q&A")).to_have_count(0)
    shoot(page, "medical-reviews-done")
    reader = page.request.get(site.base_url + "/back-pain-questions-and-answers/").text()
    assert f'<time datetime="{today}">' in reader

    # The testimonial given longest ago is flagged for its consent to be checked again.
    page.goto(site.base_url + "/cms/snippets/home/testimonial/")
    flagged = page.locator("tbody tr", has_text="David K.")
    expect(flagged).to_contain_text("Check due")
    expect(page.locator("tbody tr", has_text="Maria T.")).to_contain_text("Recorded")
    shoot(page, "testimonials-to-check")
