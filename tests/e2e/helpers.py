"""Steps the journeys share, written as a visitor would do them."""

import re
import sqlite3

from playwright.sync_api import Page, expect

from tests.support.processes import clean_env, manage

CARD_OK = "4242424242424242"
CARD_DECLINED_AT_SAVING = "4000000000000002"


def add_program_to_basket(page: Page, base_url: str) -> None:
    """From the article's offer straight into checkout, the program in the basket: a visitor
    lands on the account step, a signed-in customer on the payment page."""
    page.goto(base_url + "/")
    offer = page.locator("section.offer")
    expect(offer).to_contain_text("$98.50")
    offer.get_by_role("button", name=re.compile("Start the free 2-week tryout")).click()
    expect(page).to_have_url(re.compile(r"/shop/(accounts/login/|checkout/payment-details/)"))


def start_on_the_product_page(page: Page, base_url: str) -> None:
    """From the article's offer to the program's page, and its one button into checkout."""
    page.goto(base_url + "/")
    page.locator("section.offer").get_by_role("link", name="What is inside the program").click()
    expect(page.locator("h1")).to_have_text("Get Free from That Back Pain")
    page.get_by_role("button", name="Start free 2-week tryout").click()
    expect(page).to_have_url(re.compile(r"/shop/(accounts/login/|checkout/payment-details/)"))


def register_at_checkout(page: Page, base_url: str, email: str) -> None:
    page.goto(base_url + "/shop/checkout/")
    page.fill("#id_registration-email", email)
    page.fill("#id_registration-password1", "a-long-pass-phrase-1")
    page.fill("#id_registration-password2", "a-long-pass-phrase-1")
    page.click("button[name=registration_submit]")
    expect(page).to_have_url(re.compile(r"/shop/checkout/payment-details/$"))


def fill_card(page: Page, number: str) -> None:
    card = page.locator("#card-element")
    card.locator("input[placeholder='number']").fill(number)
    card.locator("input[placeholder='exp_month']").fill("12")
    card.locator("input[placeholder='exp_year']").fill("30")
    card.locator("input[placeholder='cvc']").fill("123")
    card.locator("input[placeholder='postal_code']").fill("87508")


def start_tryout(
    page: Page, base_url: str, email: str, card: str = CARD_OK, *, bank_check: bool = False
) -> None:
    """From the article to the confirmation: basket, account, terms, card, start. With
    ``bank_check``, the card's bank asks for its check when the card is saved, and the
    visitor completes it in the stand-in's 3-D Secure box."""
    add_program_to_basket(page, base_url)
    register_at_checkout(page, base_url, email)
    page.select_option("select[name=country]", "US")
    fill_card(page, card)
    page.check("#id_consent")
    page.get_by_role("button", name=re.compile("Start free 2-week tryout")).click()
    if bank_check:
        page.get_by_role("button", name="Complete authentication").click()
    expect(page).to_have_url(re.compile(r"/shop/checkout/thank-you/$"))


def count_rows(database, table: str) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608


def billing_run_after_the_tryout(site, stripe_standin) -> None:
    """Fifteen days later: the tryout began 15 days ago (its dates moved back), and the
    clock's run (the site's own command) takes the first payment, due yesterday."""
    with sqlite3.connect(site.database) as connection:
        connection.executescript(
            """
            UPDATE billing_installmentplan
               SET trial_started_at = datetime(trial_started_at, '-15 days'),
                   trial_ends_at = datetime(trial_ends_at, '-15 days');
            UPDATE billing_scheduledcharge SET due_at = datetime(due_at, '-15 days');
            UPDATE downloads_downloadgrant SET starts_at = datetime(starts_at, '-15 days');
            """
        )
    env = clean_env(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DATABASE_URL=f"sqlite:///{site.database}",
        STRIPE_API_BASE=stripe_standin,
        SITE_URL=site.base_url,
        EMAIL_URL=f"filemail:///{site.mail_dir}",
    )
    manage("billing_run", env=env)


def open_from_the_shop_menu(page: Page, entry: str) -> None:
    """The CMS sidebar's "Shop" entry, then one of its screens."""
    page.get_by_role("button", name="Shop", exact=True).click()
    page.get_by_role("link", name=entry, exact=True).click()
