"""A shop manager reads an email in the CMS's outbox: the listing, then the email with its
text and its HTML drawn in the sandboxed frame, at phone and desktop widths; the email's
script never runs and the browser reports no blocked frame."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import open_from_the_shop_menu
from tests.support.processes import clean_env, manage

pytestmark = pytest.mark.e2e

MANAGER, PASSWORD = "outbox-manager", "a-long-pass-phrase-1"

# An email kept by the outbox as the site keeps them (the running site's own settings send
# through EMAIL_URL, so the outbox backend is used here directly), and a shop manager.
SETUP = f"""
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from shop.emails.sending import message_build
from shop.emails.outbox import OutboxBackend

settings.EMAIL_OUTBOX_FORWARD_BACKEND = ""
message = message_build(
    to="reader@example.com",
    subject="Your tryout ends on December 13, 2026",
    body_text="Hello Robin, your first payment of $98.50 is due on December 13, 2026.",
    body_html=(
        "<html><head><style>h1 {{ color: #1d4e89; font-family: Georgia, serif; }}</style>"
        "</head><body><h1>Your tryout ends soon</h1>"
        "<p>Your first payment of <strong>$98.50</strong> is due on December 13, 2026.</p>"
        "<script>document.body.insertAdjacentHTML('beforeend', '<p id=ran>ran</p>')</script>"
        "</body></html>"
    ),
)
OutboxBackend().send_messages([message])
user = get_user_model().objects.create_user(
    "{MANAGER}", "outbox-manager@example.com", "{PASSWORD}", is_staff=True
)
user.groups.add(Group.objects.get(name="Shop manager"))
"""


def sign_in(page: Page, site) -> None:
    page.goto(site.base_url + "/cms/login/")
    page.fill("input[name=username]", MANAGER)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    expect(page).to_have_url(re.compile(r"/cms/$"))


def test_shop_manager_reads_an_email_in_the_outbox(site, desktop, shoot):
    env = clean_env(
        DJANGO_SETTINGS_MODULE="config.settings.dev", DATABASE_URL=f"sqlite:///{site.database}"
    )
    manage("shell", "-c", SETUP, env=env)
    page = desktop
    blocked = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    sign_in(page, site)

    open_from_the_shop_menu(page, "Outbox")
    expect(page).to_have_url(re.compile(r"/cms/outbox/$"))
    expect(page.get_by_text("reader@example.com")).to_be_visible()
    shoot(page, "outbox-listing")

    page.get_by_role("link", name="Your tryout ends on December 13, 2026").click()
    expect(page).to_have_url(re.compile(r"/cms/outbox/\d+/$"))
    expect(page.get_by_text("your first payment of $98.50 is due")).to_be_visible()
    frame = page.frame_locator("iframe[title='The email as HTML']")
    heading = frame.get_by_role("heading", name="Your tryout ends soon")
    expect(heading).to_be_visible()
    # Drawn with the site's styles, written into the element before it was sent.
    assert heading.evaluate("h => getComputedStyle(h).color") == "rgb(29, 78, 137)"
    expect(frame.locator("#ran")).to_have_count(0)
    page.locator("#outbox-html").scroll_into_view_if_needed()
    shoot(page, "outbox-email")
    assert not [text for text in blocked if "frame" in text.lower()], blocked
