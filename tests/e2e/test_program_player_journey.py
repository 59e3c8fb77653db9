"""A customer plays the demo video session in "My program", pauses it and signs out; in a
fresh browser (another device) they sign in and the player resumes where they stopped."""

import re
import sqlite3

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import start_tryout
from tests.e2e.test_customer_journey import axe_violations
from tests.support.browser import DESKTOP

pytestmark = pytest.mark.e2e

EMAIL = "listener@example.com"
PASSWORD = "a-long-pass-phrase-1"
METADATA_LOADED = "player => player.readyState >= 1"


def sign_in(page, base_url: str) -> None:
    page.goto(base_url + "/shop/accounts/login/")
    page.fill("#id_login-username", EMAIL)
    page.fill("#id_login-password", PASSWORD)
    page.click("button[name=login_submit]")
    expect(page).to_have_url(re.compile(r"/shop/accounts/"))


def logged(database) -> list[tuple[str, str]]:
    with sqlite3.connect(database) as connection:
        return connection.execute(
            "SELECT kind, file_title FROM downloads_downloadlog ORDER BY id"
        ).fetchall()


def saved_position(database) -> float:
    with sqlite3.connect(database) as connection:
        (seconds,) = connection.execute("SELECT seconds FROM downloads_playbackposition").fetchone()
    return seconds


def test_the_player_resumes_on_another_device_where_the_customer_paused(
    site, browser, desktop, shoot
):
    page = desktop
    start_tryout(page, site.base_url, EMAIL)

    page.goto(site.base_url + "/shop/accounts/program/")
    session = page.locator("li.program-file", has_text="Session 1: Lying twist")
    video = session.locator("video")
    expect(video).to_have_attribute("preload", "metadata")
    video.element_handle().wait_for_element_state("visible")
    page.wait_for_function(f"({METADATA_LOADED})(document.querySelector('video'))")
    # Chromium plays what the demo ships: the WebM session and the MP3 lesson.
    assert 11.5 < video.evaluate("v => v.duration") < 12.5
    audio = page.locator("li.program-file", has_text="Lesson 1").locator("audio")
    page.wait_for_function(f"({METADATA_LOADED})(document.querySelector('audio'))")
    assert 39 < audio.evaluate("a => a.duration") < 41
    # The captions the author uploaded are on, read through the same access check.
    page.wait_for_function(
        "() => { const t = document.querySelector('video').textTracks[0];"
        " return t && t.mode === 'showing' && t.cues && t.cues.length === 4; }"
    )
    expect(session.locator("details summary")).to_have_text("Transcript")

    video.evaluate("v => { v.muted = true; v.play(); }")
    page.wait_for_function("() => document.querySelector('video').currentTime > 4")
    with page.expect_response(
        lambda response: "/position/" in response.url and response.request.method == "POST"
    ) as saved:
        video.evaluate("v => v.pause()")
    # (The body of a keepalive request is not readable here: the database says what was kept.)
    assert saved.value.status == 200
    paused_at = saved_position(site.database)
    assert 4 <= paused_at < 12
    assert abs(video.evaluate("v => v.currentTime") - paused_at) < 0.1
    shoot(page, "my-program-player")
    assert axe_violations(page) == []

    # Signs out, and later opens the site in another browser.
    page.goto(site.base_url + "/shop/accounts/logout/")
    page.context.close()
    elsewhere = browser.new_context(viewport=DESKTOP)
    elsewhere.set_default_timeout(15_000)
    page = elsewhere.new_page()
    sign_in(page, site.base_url)
    page.get_by_role("link", name="My program").first.click()
    page.wait_for_function(
        f"() => {{ const v = document.querySelector('video');"
        f" return v.readyState >= 1 && Math.abs(v.currentTime - {paused_at}) < 0.5; }}"
    )
    resumed_at = page.locator("video").evaluate("v => v.currentTime")
    assert abs(resumed_at - paused_at) < 0.5
    elsewhere.close()

    # Playing is logged as plays, per file and sitting: no downloads were counted.
    kinds = logged(site.database)
    assert {kind for kind, _ in kinds} == {"play"}
    assert ("play", "Session 1: Lying twist (video)") in kinds
