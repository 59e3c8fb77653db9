"""The author's browser uploads a program file straight to the bucket with a progress bar,
in the CMS (Chromium against the live site and moto's S3 server, both on loopback)."""

import shutil

import pytest
from django.urls import reverse

from shop.downloads.models import ProgramFile
from tests.shop.factories import ProgramFactory
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.s3 import s3_client

playwright = pytest.importorskip("playwright.sync_api")
VIDEO = bytes(range(256)) * (32 * 1024)  # 8 MB: enough for several progress events

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    # Like the other live tests: the database is restored, not refilled by post_migrate,
    # so the next test that restores it finds no duplicate content types.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Chromium is not installed"),
]


@pytest.fixture
def bucket_cors(s3_storages, s3_bucket):
    s3_client(s3_storages).put_bucket_cors(
        Bucket=s3_bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": ["*"],
                    "AllowedMethods": ["POST", "PUT", "GET"],
                    "AllowedHeaders": ["*"],
                    "ExposeHeaders": ["ETag"],
                }
            ]
        },
    )


def test_the_author_uploads_with_progress_and_saves(
    live_server, client, admin_user, bucket_cors, monkeypatch
):
    site = live_server.url.replace("localhost", "127.0.0.1")  # Chromium resolves no names
    program = ProgramFactory()
    client.force_login(admin_user)
    session_cookie = client.cookies["sessionid"].value
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls here and
    # in the live server's thread are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.add_cookies([{"name": "sessionid", "value": session_cookie, "url": site}])
        page = context.new_page()
        page.goto(site + reverse("program_files:add"))
        page.set_input_files(
            "input[data-direct-upload]",
            {"name": "Session 3.mp4", "mimeType": "video/mp4", "buffer": VIDEO},
        )
        page.wait_for_selector("text=Uploaded Session 3.mp4", timeout=30_000)
        progress = page.eval_on_selector(".direct-upload progress", "p => [p.value, p.max]")
        page.select_option("#id_product", str(program.pk))
        page.fill("#id_title", "Session 3 (video)")
        page.get_by_role("button", name="Create").click()
        page.wait_for_url("**" + reverse("program_files:index"), timeout=30_000)
        message = page.locator(".messages").inner_text()
        browser.close()

    # The bar counts the whole request (the file and the policy fields around it), full.
    assert progress[0] == progress[1] >= len(VIDEO)
    assert "Session 3 (video)" in message
    video = ProgramFile.objects.get()
    assert video.original_filename == "Session 3.mp4"
    assert video.size_bytes == len(VIDEO)
    assert video.file.read() == VIDEO
