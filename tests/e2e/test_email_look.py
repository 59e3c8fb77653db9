"""The emails as a reader's mail program shows them: the HTML as it leaves (its stylesheet
written into each element) opened in Chromium at phone and desktop widths, screenshotted,
with nothing wider than a phone and no WCAG violation axe-core finds."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.sites.models import Site

from tests.shop.billing_helpers import day

# The plans of the billing tests, with the in-process fake in place of Stripe.
from tests.shop.conftest import (  # noqa: F401
    billing_program,
    billing_reader,
    fake_gateway,
    make_fake_plan,
)
from tests.shop.test_email_texts import plan_as_sent, rendered
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, PHONE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

WCAG_22_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}
}
KINDS = ("ORDER_PLACED", "TRIAL_REMINDER", "PAYMENT_FAILED", "REFUND_ISSUED")


@pytest.fixture(scope="module", autouse=True)
def database_beside_the_browser():
    """Playwright's sync API keeps an event loop in this thread, which Django takes for an
    async context; the database is only used by the test itself, never from that loop.
    Set first and kept until the test database is rolled back and torn down."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture
def phone():
    """A phone-sized page of a browser of this test's own, closed with it. This test runs
    among the database tests (it renders real plans): the session's browser would keep its
    event loop running in this thread after it, and every later database test would find
    itself in an async context."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport=PHONE)
        context.set_default_timeout(15_000)
        yield context.new_page()
        browser.close()


@pytest.fixture
def emails_html(request):
    """Each kind's HTML for one real plan, brought to each email's state in turn (the order
    of KINDS is the order of a plan's life), written before the browser is driven."""
    plan = request.getfixturevalue("make_fake_plan")(start=day(0))
    Site.objects.filter(pk=1).update(name="Lower Back Pain Relief")
    Site.objects.clear_cache()
    written = {}
    for code in KINDS:
        plan_as_sent(code, plan)
        written[code] = rendered(code, plan)["html_for_mail"]
    return written


def test_the_emails_read_well_on_a_phone_and_a_desktop(emails_html, phone, shoot):
    problems = {}
    for code, html in emails_html.items():
        phone.set_content(html)
        assert phone.locator("h1").is_visible()
        wide = phone.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390, f"{code} is {wide} px wide on a 390 px phone"
        # One column: the card is no wider than 600 px on a desktop either.
        shoot(phone, code.lower())
        phone.set_viewport_size({"width": 1280, "height": 900})
        card = phone.locator("table.main").bounding_box()
        assert card is not None and card["width"] <= 600
        phone.set_viewport_size({"width": 390, "height": 844})
        found = Axe().run(phone, options=WCAG_22_AA).response["violations"]
        if found:
            problems[code] = [
                f"{v['id']}: {[', '.join(n['target']) for n in v['nodes']][:3]}" for v in found
            ]
    assert not problems, problems
