"""When S3 stops answering: a customer's download and the author's direct upload each get a
clear message, nothing is counted or saved half-way, the error is logged with the file's key,
and once S3 is back the same click works, exactly once.

Each test has its own moto server process; "S3 stops" is that process frozen (SIGSTOP), so
connections are accepted and never answered, the way a hung service behaves, and it comes
back with its objects (SIGCONT)."""

import hashlib
import logging
import os
import signal
from urllib.request import urlopen

import pytest
import requests
from django.urls import reverse

from media_config.storages import private_storage_get
from shop.downloads.models import DownloadLimit, DownloadLog, ProgramFile
from tests.shop.download_factories import grant_with_plan, program_file_create
from tests.shop.factories import ProgramFactory
from tests.support.s3 import moto_server_running

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
CONTENT = b"%PDF-1.7 " + bytes(range(256)) * 64
VIDEO = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 512


@pytest.fixture
def moto_process():
    """A moto S3 server of this test's own, to freeze and thaw."""
    with moto_server_running() as (proc, url):
        try:
            yield proc, url
        finally:
            # A frozen server must be thawed to hear that it is being stopped.
            os.kill(proc.pid, signal.SIGCONT)


@pytest.fixture
def s3_server(moto_process):
    # Overrides the session-wide server for this module's tests only.
    return moto_process[1]


@pytest.fixture
def s3_down(moto_process, settings, s3_storages):
    """A switch for S3: ``s3_down(True)`` freezes the server, ``s3_down(False)`` thaws it.
    Time limits are short, so a test waits a moment, not the production limits."""
    settings.AWS_S3_CONNECT_TIMEOUT = 1
    settings.AWS_S3_READ_TIMEOUT = 1
    settings.AWS_S3_MAX_ATTEMPTS = 1
    proc = moto_process[0]

    def switch(down: bool) -> None:
        os.kill(proc.pid, signal.SIGSTOP if down else signal.SIGCONT)

    return switch


@pytest.fixture
def customer(django_user_model):
    return django_user_model.objects.create_user(
        username="reader", email="reader@example.com", password="pw"
    )


def test_s3_storages_give_up_within_seconds_by_default(s3_storages):
    config = private_storage_get().client_config
    assert config.connect_timeout <= 5 and config.read_timeout <= 30
    assert config.retries["total_max_attempts"] <= 3
    # The settings the tests pass in (path-style addresses) are still honoured.
    assert config.s3["addressing_style"] == "path"


def test_a_download_while_s3_is_down_is_explained_not_counted_then_works_once(
    client, customer, s3_down, caplog
):
    program = ProgramFactory()
    DownloadLimit.objects.create(product=program, downloads_per_day=1)
    grant = grant_with_plan(user=customer, product=program)
    book = program_file_create(product=program, content=CONTENT)
    client.force_login(customer)
    url = reverse("downloads:file", args=[book.pk])

    s3_down(True)
    with caplog.at_level(logging.ERROR):
        response = client.get(url)

    assert response.status_code == 503
    page = response.content.decode()
    assert "The download is unavailable for a moment" in page and "try again" in page
    assert response["Retry-After"]
    assert DownloadLog.objects.count() == 0  # not counted against the daily limit
    logged = [
        r for r in caplog.records if r.name == "shop.downloads.views" and r.levelno >= logging.ERROR
    ]
    assert len(logged) == 1
    message = logged[0].getMessage()
    assert book.file.name in message
    assert f"user {customer.pk}" in message and f"grant {grant.pk}" in message

    s3_down(False)
    response = client.get(url)
    assert response.status_code == 302
    with urlopen(response["Location"], timeout=10) as s3_response:  # noqa: S310 (loopback)
        assert s3_response.read() == CONTENT
    assert DownloadLog.objects.count() == 1
    # The one download allowed today was the one that worked.
    assert client.get(url).status_code == 429
    assert DownloadLog.objects.count() == 1


def test_a_file_missing_from_the_bucket_is_explained_and_not_counted(
    client, customer, s3_storages, caplog
):
    program = ProgramFactory()
    grant_with_plan(user=customer, product=program)
    book = program_file_create(product=program, content=CONTENT)
    private_storage_get().delete(book.file.name)
    client.force_login(customer)

    with caplog.at_level(logging.ERROR):
        response = client.get(reverse("downloads:file", args=[book.pk]))

    assert response.status_code == 503
    assert "The download is unavailable for a moment" in response.content.decode()
    assert DownloadLog.objects.count() == 0
    assert any(book.file.name in r.getMessage() for r in caplog.records)


def test_a_direct_upload_checked_while_s3_is_down_saves_nothing_then_saves_once(
    admin_client, s3_down, caplog, django_capture_on_commit_callbacks
):
    program = ProgramFactory()
    started = admin_client.post(
        reverse("program_files:direct_upload"),
        {"filename": "Session 2.mp4", "size": len(VIDEO)},
    ).json()
    sent = requests.post(started["url"], data=started["fields"], files={"file": VIDEO}, timeout=30)
    assert sent.status_code == 204
    form = {
        "product": program.pk,
        "title": "Session 2 (video)",
        "description": "",
        "original_filename": "",
        "sort_order": 3,
        "direct_upload": started["token"],
    }
    add_url = reverse("program_files:add")

    s3_down(True)
    with caplog.at_level(logging.ERROR):
        response = admin_client.post(add_url, form)

    assert response.status_code == 200
    page = response.content.decode()
    assert "The storage cannot be reached just now" in page
    assert "your upload is kept" in page
    assert ProgramFile.objects.count() == 0
    key = started["fields"]["key"]
    assert any(
        r.levelno >= logging.ERROR and key.removeprefix("private/") in r.getMessage()
        for r in caplog.records
    )

    s3_down(False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_client.post(add_url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    video = ProgramFile.objects.get()
    assert video.size_bytes == len(VIDEO)
    assert video.sha256 == hashlib.sha256(VIDEO).hexdigest()
    assert len(callbacks) == 1  # one checksum job queued, for the one save
