"""The author uploads, orders and replaces program files in the Django admin."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shop.downloads.models import ProgramFile
from tests.shop.download_factories import grant_with_plan, program_file_create
from tests.shop.factories import ProgramFactory

pytestmark = pytest.mark.django_db

# Over Django's 2.5 MB in-memory limit: the upload is spooled to a temporary file.
BIG = b"0123456789abcdef" * (200 * 1024)


def test_upload_then_replace_keeps_the_customers_link(
    client, admin_user, django_user_model, local_private_storage, django_capture_on_commit_callbacks
):
    program = ProgramFactory()
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:downloads_programfile_add"),
        {
            "product": program.pk,
            "title": "Session 1 (audio)",
            "description": "Fifteen minutes, lying down.",
            "file": SimpleUploadedFile("session-1.mp3", BIG, content_type="audio/mpeg"),
            "original_filename": "",
            "sort_order": 2,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    session = ProgramFile.objects.get()
    assert session.size_bytes == len(BIG)
    assert session.sha256 == hashlib.sha256(BIG).hexdigest()
    assert session.original_filename == "session-1.mp3"
    first_path = local_private_storage / session.file.name
    assert first_path.read_bytes() == BIG

    replacement = b"new recording " * 1000
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:downloads_programfile_change", args=[session.pk]),
            {
                "product": program.pk,
                "title": "Session 1 (audio)",
                "description": "Re-recorded.",
                "file": SimpleUploadedFile("session-1-v2.mp3", replacement),
                "original_filename": session.original_filename,
                "sort_order": 2,
            },
        )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.original_filename == "session-1-v2.mp3"
    assert session.sha256 == hashlib.sha256(replacement).hexdigest()
    assert not first_path.exists()

    customer = django_user_model.objects.create_user(username="r", email="r@example.com")
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)
    download = client.get(reverse("downloads:file", args=[session.pk]))
    assert b"".join(download.streaming_content) == replacement


def test_files_are_listed_and_ordered_in_the_admin(client, admin_user, local_private_storage):
    client.force_login(admin_user)

    response = client.get(reverse("admin:downloads_programfile_changelist"))

    assert response.status_code == 200


def test_deleting_a_file_removes_its_stored_object(
    client, admin_user, local_private_storage, django_capture_on_commit_callbacks
):
    program_file = program_file_create(product=ProgramFactory())
    stored = local_private_storage / program_file.file.name
    client.force_login(admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:downloads_programfile_delete", args=[program_file.pk]),
            {"post": "yes"},
        )

    assert response.status_code == 302
    assert not ProgramFile.objects.exists()
    assert not stored.exists()


def test_a_stored_file_opens_for_editing_with_its_name_and_checksum(
    client, admin_user, local_private_storage
):
    program_file = program_file_create(product=ProgramFactory(), name="Session-2.pdf")
    client.force_login(admin_user)

    response = client.get(reverse("admin:downloads_programfile_change", args=[program_file.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Currently: Session-2.pdf" in page
    assert program_file.sha256 in page
