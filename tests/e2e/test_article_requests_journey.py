"""A reader of the article is not announced to anyone else: every request the page makes, to
its end, goes to the site itself (no video thumbnail, font or script from another host), and
the video's player is asked for only when the reader presses play. The page stays light."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

ARTICLE_BYTES_LIMIT = 100_000


def test_article_asks_no_other_host_until_the_video_is_played(site, phone, shoot):
    page = phone
    requests = []
    page.on("request", lambda request: requests.append(request))
    own = urlsplit(site.base_url).netloc

    page.goto(site.base_url + "/")
    # Down to the footer, so every lazily loaded picture is asked for too.
    page.locator("footer.site-footer").scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    before_play = [r for r in requests if urlsplit(r.url).scheme in ("http", "https")]
    assert before_play, "nothing was recorded"
    elsewhere = [r.url for r in before_play if urlsplit(r.url).netloc != own]
    assert elsewhere == [], "requests to other hosts before play:\n" + "\n".join(elsewhere)
    assert not any(r.resource_type == "font" for r in before_play)

    # What the reader downloads (the site's own files, before any compression).
    received = 0
    for request in before_play:
        response = request.response()
        assert response is not None and response.status < 400, request.url
        received += request.sizes()["responseBodySize"]
    assert received <= ARTICLE_BYTES_LIMIT, f"the article weighs {received} bytes"
    shoot(page, "article-before-play")

    # Pressing play builds the player's frame, and only now is the video's host asked.
    play = page.locator("[data-video-embed]").first
    play.scroll_into_view_if_needed()
    with page.expect_request(re.compile(r"^https://www\.youtube-nocookie\.com/embed/")):
        play.click()
    player = page.locator(".video-frame iframe").first
    expect(player).to_have_attribute(
        "src", re.compile(r"^https://www\.youtube-nocookie\.com/embed/")
    )
    expect(player).to_have_attribute("title", re.compile(r"\S"))
    shoot(page, "article-after-play")
