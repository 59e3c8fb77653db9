"""The author runs the shop from the CMS alone: signs in to /cms/, uploads a program file,
finds a customer's program by email, sees its payments and consent, refunds a payment, and
sees the sales chart and the money collected change. An editor signs in too and sees no
customer and no money."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import billing_run_after_the_tryout, open_from_the_shop_menu, start_tryout
from tests.e2e.test_author_journey import sign_in
from tests.support.browser import DESKTOP
from tests.support.processes import clean_env, manage

pytestmark = pytest.mark.e2e

CUSTOMER = "back-office-customer@example.com"
BOOKLET = b"%PDF-1.4\n% Program booklet\n" + b"0" * 2048 + b"\n%%EOF\n"


def editor_account(site) -> tuple[str, str]:
    """An account in the Editor group, made with the site's own database."""
    env = clean_env(
        DJANGO_SETTINGS_MODULE="config.settings.dev", DATABASE_URL=f"sqlite:///{site.database}"
    )
    manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import Group; "
        "from django.contrib.auth import get_user_model; "
        "user = get_user_model().objects.create_user("
        "'editor', 'editor@example.com', 'a-long-pass-phrase-2'); "
        "user.groups.add(Group.objects.get(name='Editor'))",
        env=env,
    )
    return "editor", "a-long-pass-phrase-2"


def collected_figure(page: Page) -> str:
    return page.locator("#money-collected").inner_text()


def test_the_author_runs_the_shop_from_the_cms_and_an_editor_sees_no_money(
    site, stripe_standin, browser, desktop, shoot, tmp_path
):
    # A customer started the tryout 15 days ago; the clock's run took the first payment.
    customer_context = browser.new_context(viewport=DESKTOP)
    start_tryout(customer_context.new_page(), site.base_url, CUSTOMER)
    customer_context.close()
    billing_run_after_the_tryout(site, stripe_standin)

    page = desktop
    sign_in(page, site)
    panel = page.locator(".sales-panel")
    expect(panel).to_contain_text("How the program sells")
    expect(panel.locator("div", has_text="Collected this week")).to_contain_text("$98.50")
    shoot(page, "dashboard-with-sales")

    # A program file, uploaded through the CMS.
    booklet = tmp_path / "Booklet.pdf"
    booklet.write_bytes(BOOKLET)
    open_from_the_shop_menu(page, "Program files")
    page.get_by_role("link", name=re.compile("Add program file", re.I)).click()
    product = page.locator("#id_product option", has_text="Get Free from That Back Pain")
    page.select_option("#id_product", product.first.get_attribute("value"))
    page.fill("#id_title", "The booklet")
    page.set_input_files("#id_file", booklet)
    page.get_by_role("button", name="Create").click()
    expect(page.locator(".messages")).to_contain_text("The booklet")
    expect(page.locator("table.listing tbody tr", has_text="The booklet")).to_be_visible()

    # The sales report before the refund: one payment of $98.50 collected.
    open_from_the_shop_menu(page, "Sales")
    expect(page.locator("#money-collected")).to_contain_text("$98.50")
    chart_before = page.locator("#money-collected ~ * svg, #money-collected + * svg").first
    chart_before_markup = chart_before.inner_html() if chart_before.count() else ""
    shoot(page, "sales-report-before-refund")

    # The customer's program, found by email: its payments and the consent they gave.
    open_from_the_shop_menu(page, "Customers' programs")
    page.get_by_role("textbox", name="Search term").fill(CUSTOMER)
    page.keyboard.press("Enter")
    row = page.locator("table.listing tbody tr", has_text=CUSTOMER)
    expect(row).to_have_count(1)
    row.get_by_role("link").first.click()
    first = page.locator("#payment-1")
    expect(first).to_contain_text("Paid")
    expect(first).to_contain_text("$98.50")
    expect(page.locator("#payment-2")).to_contain_text("Scheduled")
    consent = page.locator("#plan-consent")
    expect(consent).to_contain_text("$98.50")
    expect(consent).to_contain_text("127.0.0.1")
    shoot(page, "customer-program")

    # Refund the first payment: asked, confirmed, done.
    first.get_by_role("link", name=re.compile("Refund")).click()
    expect(page.locator("#id_amount")).to_have_value("98.50")
    shoot(page, "refund-confirmation")
    page.get_by_role("button", name="Refund", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Refunded 98.50 USD")
    expect(page.locator("#payment-1")).to_contain_text("$98.50")
    expect(page.locator("#plan-refunds")).to_contain_text("$98.50")

    # The report and the dashboard now show what was collected: nothing, after the refund.
    open_from_the_shop_menu(page, "Sales")
    expect(page.locator("#money-collected")).to_contain_text("$0.00")
    chart_after = page.locator("#money-collected ~ * svg, #money-collected + * svg").first
    assert chart_after.count() and chart_after.inner_html() != chart_before_markup
    shoot(page, "sales-report-after-refund")
    page.goto(site.base_url + "/cms/")
    expect(page.locator(".sales-panel div", has_text="Collected this week")).to_contain_text(
        "$0.00"
    )

    # An editor signs in: pages yes, customers and money no.
    username, password = editor_account(site)
    editor_context = browser.new_context(viewport=DESKTOP)
    editor_page = editor_context.new_page()
    editor_page.goto(site.base_url + "/cms/login/")
    editor_page.fill("input[name=username]", username)
    editor_page.fill("input[name=password]", password)
    editor_page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    expect(editor_page).to_have_url(re.compile(r"/cms/$"))
    expect(editor_page.locator(".sales-panel")).to_have_count(0)
    expect(editor_page.get_by_role("button", name="Shop", exact=True)).to_have_count(0)
    expect(editor_page.get_by_role("button", name="Pages", exact=True)).to_be_visible()
    shoot(editor_page, "editor-dashboard")
    refused = editor_page.goto(site.base_url + "/cms/sales/")
    assert refused is not None and refused.status == 403
    expect(editor_page.locator("body")).not_to_contain_text("$98.50")
    for address in ("/cms/programs/", "/cms/program-files/"):
        editor_page.goto(site.base_url + address)
        expect(editor_page).to_have_url(re.compile(r"/cms/$"))
        expect(editor_page.locator("body")).not_to_contain_text(CUSTOMER)
        expect(editor_page.locator("body")).not_to_contain_text("$98.50")
    editor_context.close()
