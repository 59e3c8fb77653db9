"""The buyer's journey again, with the keyboard alone: every step reachable with Tab, Enter
and Space, and the focus always visible."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import CARD_OK, count_rows

pytestmark = pytest.mark.e2e

FOCUS_STATE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const ring = style.boxShadow && style.boxShadow !== 'none';
  return {
    tag: el.tagName.toLowerCase(),
    text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 80),
    name: el.getAttribute('name') || '', id: el.id || '',
    placeholder: el.getAttribute('placeholder') || '',
    visible: outline || ring,
  };
}"""


def tab_to(page: Page, matches, *, limit: int = 80) -> dict:
    """Press Tab until the focused element matches; its focus must be visible."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        state = page.evaluate(FOCUS_STATE)
        if state and matches(state):
            assert state["visible"], f"focus is not visible on {state}"
            return state
    raise AssertionError("never reached the element with the keyboard")


def test_buyer_journey_with_the_keyboard_only(site, desktop, shoot):
    page = desktop
    page.goto(site.base_url + "/")
    tab_to(page, lambda s: s["text"] == "What is inside the program")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Get Free from That Back Pain")

    tab_to(page, lambda s: s["tag"] == "button" and s["text"] == "Start free 2-week tryout")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/shop/accounts/login/"))

    tab_to(page, lambda s: s["name"] == "registration-email")
    page.keyboard.type("keyboard@example.com")
    tab_to(page, lambda s: s["name"] == "registration-password1")
    page.keyboard.type("a-long-pass-phrase-1")
    tab_to(page, lambda s: s["name"] == "registration-password2")
    page.keyboard.type("a-long-pass-phrase-1")
    tab_to(page, lambda s: s["name"] == "registration_submit")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/shop/checkout/payment-details/$"))

    tab_to(page, lambda s: s["name"] == "country")
    page.keyboard.type("United States")
    expect(page.locator("select[name=country]")).to_have_value("US")
    for placeholder, text in [
        ("number", CARD_OK),
        ("exp_month", "12"),
        ("exp_year", "30"),
        ("cvc", "123"),
        ("postal_code", "87508"),
    ]:
        tab_to(page, lambda s, p=placeholder: s["placeholder"] == p)
        page.keyboard.type(text)
    tab_to(page, lambda s: s["id"] == "id_consent")
    page.keyboard.press("Space")
    expect(page.locator("#id_consent")).to_be_checked()
    shoot(page, "keyboard-payment")
    tab_to(page, lambda s: s["id"] == "start-trial")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/shop/checkout/thank-you/$"))
    expect(page.locator(".trial-confirmation")).to_contain_text("nothing has been charged today")
    assert count_rows(site.database, "billing_installmentplan") == 1

    # Quitting from here: the press opens its confirmation, which Escape leaves untouched.
    tab_to(page, lambda s: s["tag"] == "button" and s["text"] == "Quit 2-Week Tryout")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Quit your free tryout?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Yes, quit the tryout")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Quit 2-Week Tryout")).to_be_focused()

    # Then to the program, and its video played, with the keyboard alone.
    tab_to(page, lambda s: s["tag"] == "a" and s["text"] == "My program")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("My program")
    page.wait_for_function("() => document.querySelector('li.program-file video')?.readyState >= 1")
    tab_to(page, lambda s: s["tag"] == "video", limit=120)
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelector('li.program-file video')?.currentTime > 1")
    shoot(page, "keyboard-playing")
