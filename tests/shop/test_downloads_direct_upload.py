"""Large program files sent from the author's browser straight to the bucket (presigned
POST), then checked and saved; against moto's S3 server over HTTP."""

import base64
import hashlib
import json

import pytest
import requests
from django.urls import reverse

from shop.downloads.models import FileKind, ProgramFile
from shop.downloads.services import DIRECT_UPLOAD_MAX_BYTES
from tests.shop.factories import ProgramFactory
from tests.shop.media_samples import wav_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
VIDEO = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4096
VIDEO_SIZE = len(VIDEO)


def start_upload(client, *, filename="Session 2.mp4", size=VIDEO_SIZE):
    return client.post(
        reverse("program_files:direct_upload"),
        {"filename": filename, "size": size},
    )


def form_data(program, token, **extra):
    return {
        "product": program.pk,
        "title": "Session 2 (video)",
        "description": "",
        "original_filename": "",
        "sort_order": 3,
        "direct_upload": token,
        **extra,
    }


def test_the_presigned_post_fixes_key_and_size(admin_client, s3_storages):
    started = start_upload(admin_client).json()

    fields = started["fields"]
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert fields["key"].startswith("private/program/uploads/")
    assert fields["key"].endswith("/Session_2.mp4")
    policy = json.loads(base64.b64decode(fields["policy"]))
    assert ["content-length-range", 1, DIRECT_UPLOAD_MAX_BYTES] in policy["conditions"]
    assert {"key": fields["key"]} in policy["conditions"]


def test_a_direct_upload_is_verified_saved_and_checksummed(
    admin_client, s3_storages, django_capture_on_commit_callbacks
):
    program = ProgramFactory()
    started = start_upload(admin_client).json()
    sent = requests.post(started["url"], data=started["fields"], files={"file": VIDEO}, timeout=30)
    assert sent.status_code == 204

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("program_files:add"), form_data(program, started["token"])
        )

    assert response.status_code == 302, response.content.decode()[:3000]
    video = ProgramFile.objects.get()
    assert video.original_filename == "Session 2.mp4"
    assert video.size_bytes == len(VIDEO)
    assert video.sha256 == hashlib.sha256(VIDEO).hexdigest()
    assert video.file.name == started["fields"]["key"].removeprefix("private/")


def test_a_direct_upload_of_audio_is_measured_in_the_background(
    admin_client, s3_storages, django_capture_on_commit_callbacks
):
    program = ProgramFactory()
    lesson = wav_bytes(3)
    started = start_upload(admin_client, filename="Lesson 2.wav", size=len(lesson)).json()
    requests.post(started["url"], data=started["fields"], files={"file": lesson}, timeout=30)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("program_files:add"), form_data(program, started["token"])
        )

    assert response.status_code == 302, response.content.decode()[:3000]
    measured = ProgramFile.objects.get()
    assert (measured.kind, measured.duration_seconds) == (FileKind.AUDIO, 3)
    assert measured.sha256 == hashlib.sha256(lesson).hexdigest()


def test_an_upload_that_never_arrived_is_refused(admin_client, s3_storages):
    program = ProgramFactory()
    started = start_upload(admin_client).json()

    response = admin_client.post(reverse("program_files:add"), form_data(program, started["token"]))

    assert response.status_code == 200
    assert "did not reach the storage" in response.content.decode()
    assert not ProgramFile.objects.exists()


def test_an_incomplete_upload_is_refused(admin_client, s3_storages):
    program = ProgramFactory()
    started = start_upload(admin_client, size=len(VIDEO) + 10).json()
    requests.post(started["url"], data=started["fields"], files={"file": VIDEO}, timeout=30)

    response = admin_client.post(reverse("program_files:add"), form_data(program, started["token"]))

    assert f"Only {len(VIDEO)} of {len(VIDEO) + 10} bytes arrived" in response.content.decode()


def test_a_forged_token_is_refused(admin_client, s3_storages):
    program = ProgramFactory()

    response = admin_client.post(
        reverse("program_files:add"), form_data(program, "private/program/x.mp4")
    )

    assert response.status_code == 200
    assert "The upload has expired" in response.content.decode()
    assert not ProgramFile.objects.exists()


def test_the_add_and_edit_pages_offer_the_direct_upload_on_s3(admin_client, s3_storages):
    program = ProgramFactory()
    started = start_upload(admin_client).json()
    requests.post(started["url"], data=started["fields"], files={"file": VIDEO}, timeout=30)
    admin_client.post(reverse("program_files:add"), form_data(program, started["token"]))

    for url in (
        reverse("program_files:add"),
        reverse("program_files:edit", args=[ProgramFile.objects.get().pk]),
    ):
        response = admin_client.get(url)
        page = response.content.decode()
        assert f'data-start-url="{reverse("program_files:direct_upload")}"' in page
        assert "downloads/direct_upload.js" in page
        # The script finds the CMS form's token, and the page's policy lets it reach the bucket.
        assert 'name="csrfmiddlewaretoken"' in page
        assert s3_storages in response["Content-Security-Policy"].split("connect-src")[1]


def test_the_presign_address_takes_only_posts(admin_client, s3_storages):
    response = admin_client.get(reverse("program_files:direct_upload"))

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "POST" in response.json()["error"]


def test_too_large_or_local_storage_gets_a_clear_answer(admin_client, s3_storages, settings):
    too_large = start_upload(admin_client, size=DIRECT_UPLOAD_MAX_BYTES + 1)
    assert too_large.status_code == 400
    assert "over 5 GB" in too_large.json()["error"]

    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "media_config.storages.PrivateFileSystemStorage"},
    }
    local = start_upload(admin_client)
    assert local.status_code == 400
    assert "need S3" in local.json()["error"]


def test_a_customer_may_not_start_an_upload(client, django_user_model, s3_storages):
    customer = django_user_model.objects.create_user(username="r", email="r@example.com")
    client.force_login(customer)

    response = start_upload(client)

    assert response.status_code == 302
    assert "/cms/login/" in response["Location"]


def test_a_file_replaced_by_a_direct_upload_keeps_its_link_and_loses_the_old_object(
    admin_client, s3_storages, django_capture_on_commit_callbacks
):
    program = ProgramFactory()
    first = start_upload(admin_client).json()
    requests.post(first["url"], data=first["fields"], files={"file": VIDEO}, timeout=30)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("program_files:add"), form_data(program, first["token"]))
    video = ProgramFile.objects.get()
    old_name = video.file.name
    again = b"\x00\x00\x00\x18ftypmp42 re-recorded" * 1000
    second = start_upload(admin_client, filename="Session 2 v2.mp4", size=len(again)).json()
    requests.post(second["url"], data=second["fields"], files={"file": again}, timeout=30)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("program_files:edit", args=[video.pk]),
            form_data(program, second["token"], original_filename=video.original_filename),
        )

    assert response.status_code == 302, response.content.decode()[:3000]
    replaced = ProgramFile.objects.get()
    assert replaced.pk == video.pk
    assert replaced.original_filename == "Session 2 v2.mp4"
    assert replaced.sha256 == hashlib.sha256(again).hexdigest()
    assert not replaced.file.storage.exists(old_name)
