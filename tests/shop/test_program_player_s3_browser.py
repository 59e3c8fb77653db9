"""On S3 the player's presigned link expires within minutes: the page asks for a fresh one
before then and swaps it in at the same moment of the lesson (Chromium against the live
site and moto's S3 server, both on loopback)."""

import copy
import shutil
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from demo.loader import CONTENT_DIR
from tests.shop.download_factories import grant_with_plan, program_file_create
from tests.shop.factories import ProgramFactory
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

playwright = pytest.importorskip("playwright.sync_api")
SESSION = (CONTENT_DIR / "media" / "session-1.webm").read_bytes()

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Chromium is not installed"),
]


@pytest.fixture
def media_from_the_bucket(settings, s3_storages):
    """The policy as production builds it with a bucket: media may come from there."""
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["media-src"] = [*policy["DIRECTIVES"]["media-src"], s3_storages]
    settings.CONTENT_SECURITY_POLICY = policy
    return s3_storages


def test_the_player_swaps_in_a_fresh_link_and_keeps_its_place(
    live_server, client, django_user_model, settings, media_from_the_bucket, monkeypatch
):
    # Links of 62 seconds: the page asks for a fresh one a minute before expiry, so at once.
    settings.AWS_QUERYSTRING_EXPIRE = 62
    site = live_server.url.replace("localhost", "127.0.0.1")  # Chromium resolves no names
    program = ProgramFactory()
    program_file_create(product=program, title="Session 1", name="Session 1.webm", content=SESSION)
    customer = django_user_model.objects.create_user("viewer", "viewer@example.com", "pw")
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)
    session_cookie = client.cookies["sessionid"].value
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.add_cookies([{"name": "sessionid", "value": session_cookie, "url": site}])
        page = context.new_page()
        page.goto(site + reverse("billing:program"))
        video = page.locator("video")
        assert video.get_attribute("data-link-expires-in") == "62"
        # The first address is the site's, which sends the player on to the bucket.
        page.wait_for_function("() => document.querySelector('video').readyState >= 1")
        video.evaluate("v => { v.currentTime = 5; }")
        page.wait_for_function(
            "() => Math.abs(document.querySelector('video').currentTime - 5) < 0.1"
        )
        page.wait_for_timeout(2500)  # now within a minute of the link's expiry

        with page.expect_response(lambda r: "/play/link/" in r.url) as asked:
            video.evaluate("v => { v.muted = true; v.play(); }")
        page.wait_for_function(
            f"""() => {{
                const v = document.querySelector('video');
                return v.src.startsWith({media_from_the_bucket!r}) && !v.paused
                    && v.currentTime > 5.2;
            }}"""
        )
        state = video.evaluate("v => ({src: v.src, time: v.currentTime, error: v.error})")
        link_status = asked.value.status
        browser.close()

    assert link_status == 200
    assert state["error"] is None
    assert 5 < state["time"] < 12
    query = parse_qs(urlsplit(state["src"]).query)
    assert query["X-Amz-Expires"] == ["62"]
    assert query["response-content-disposition"] == ['inline; filename="Session 1.webm"']
