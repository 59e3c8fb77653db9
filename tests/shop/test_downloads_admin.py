"""The author uploads, orders, replaces and deletes program files in the CMS, sets download
limits, ends or gives back a customer's access and reads the downloads and plays."""

import csv
import hashlib
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from wagtail import hooks
from wagtail.models import ModelLogEntry

from shop.downloads.models import DownloadGrant, DownloadLimit, DownloadLog, ProgramFile
from shop.downloads.services import download_record
from tests.shop.download_factories import grant_with_plan, program_file_create
from tests.shop.factories import ProgramFactory

pytestmark = pytest.mark.django_db

# Over Django's 2.5 MB in-memory limit: the upload is spooled to a temporary file.
BIG = b"0123456789abcdef" * (200 * 1024)


def file_form(program, **fields):
    return {
        "product": program.pk,
        "title": "Session 1 (audio)",
        "description": "",
        "original_filename": "",
        "sort_order": 2,
        "kind": "",
        "duration_seconds": "",
        "page_count": "",
        "transcript": "",
        **fields,
    }


def test_upload_then_replace_keeps_the_customers_link(
    client, admin_user, django_user_model, local_private_storage, django_capture_on_commit_callbacks
):
    program = ProgramFactory()
    client.force_login(admin_user)

    response = client.post(
        reverse("program_files:add"),
        file_form(
            program,
            description="Fifteen minutes, lying down.",
            file=SimpleUploadedFile("session-1.mp3", BIG, content_type="audio/mpeg"),
        ),
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
            reverse("program_files:edit", args=[session.pk]),
            file_form(
                program,
                description="Re-recorded.",
                file=SimpleUploadedFile("session-1-v2.mp3", replacement),
                original_filename=session.original_filename,
            ),
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


def test_a_name_typed_by_the_author_is_kept_with_a_new_file(
    client, admin_user, local_private_storage
):
    program = ProgramFactory()
    client.force_login(admin_user)

    response = client.post(
        reverse("program_files:add"),
        file_form(
            program,
            file=SimpleUploadedFile("rec-0042.mp3", b"ID3 audio"),
            original_filename="Session 1 - Lying down.mp3",
        ),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert ProgramFile.objects.get().original_filename == "Session 1 - Lying down.mp3"


def test_files_are_listed_in_their_order_with_kind_length_and_size(
    client, admin_user, local_private_storage
):
    program = ProgramFactory()
    second = program_file_create(product=program, title="Second lesson", name="b.pdf")
    first = program_file_create(product=program, title="First lesson", name="a.pdf")
    ProgramFile.objects.filter(pk=second.pk).update(sort_order=2, page_count=12)
    ProgramFile.objects.filter(pk=first.pk).update(sort_order=1)
    client.force_login(admin_user)

    response = client.get(reverse("program_files:index"))

    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("First lesson") < page.index("Second lesson")
    assert "12 pages" in page
    assert "Book (PDF)" in page
    assert "10.0\xa0KB" in page  # 10,249 bytes


def test_files_are_searched_by_title_and_file_name_and_filtered_by_kind(
    client, admin_user, local_private_storage
):
    program = ProgramFactory()
    program_file_create(product=program, title="The book", name="Back Pain Book.pdf")
    program_file_create(product=program, title="Lesson 1", name="lying-down.mp3", content=b"ID3")
    client.force_login(admin_user)
    index = reverse("program_files:index")

    by_name = client.get(index, {"q": "lying-down"}).content.decode()
    by_kind = client.get(index, {"kind": "book"}).content.decode()

    assert "Lesson 1" in by_name and "The book" not in by_name
    assert "The book" in by_kind and "Lesson 1" not in by_kind


def test_deleting_a_file_removes_its_stored_object_and_is_in_the_history(
    client, admin_user, local_private_storage, django_capture_on_commit_callbacks
):
    program_file = program_file_create(product=ProgramFactory())
    stored = local_private_storage / program_file.file.name
    client.force_login(admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("program_files:delete", args=[program_file.pk]))

    assert response.status_code == 302
    assert not ProgramFile.objects.exists()
    assert not stored.exists()
    assert ModelLogEntry.objects.filter(action="wagtail.delete", user=admin_user).exists()


def test_a_stored_file_opens_for_editing_with_its_name_and_checksum(
    client, admin_user, local_private_storage
):
    program_file = program_file_create(product=ProgramFactory(), name="Session-2.pdf")
    client.force_login(admin_user)

    response = client.get(reverse("program_files:edit", args=[program_file.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Currently: Session-2.pdf" in page
    assert program_file.sha256 in page
    # Local storage: the plain file field only, no upload straight to a bucket.
    assert "data-direct-upload" not in page
    assert "Upload straight to storage" not in page


def test_the_edit_and_who_made_it_show_in_the_history(client, admin_user, local_private_storage):
    program = ProgramFactory()
    program_file = program_file_create(product=program, title="Lesson 1")
    client.force_login(admin_user)

    response = client.post(
        reverse("program_files:edit", args=[program_file.pk]),
        file_form(program, title="Lesson 1: lying down", original_filename="x.pdf"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    entry = ModelLogEntry.objects.get(action="wagtail.edit")
    assert (entry.user, entry.label) == (admin_user, "Lesson 1: lying down")
    history = client.get(reverse("program_files:history", args=[program_file.pk]))
    assert "Edited" in history.content.decode()


def test_a_new_file_without_a_file_says_so_and_saves_nothing(
    client, admin_user, local_private_storage
):
    client.force_login(admin_user)

    response = client.post(reverse("program_files:add"), file_form(ProgramFactory()))

    assert response.status_code == 200
    assert "Choose the file to upload." in response.content.decode()
    assert not ProgramFile.objects.exists()
    assert not ModelLogEntry.objects.exists()


@pytest.fixture
def access_admin_only(django_user_model):
    """A member of the back office who may use the CMS but was given nothing of the shop."""
    group = Group.objects.create(name="Editors for this test")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user = django_user_model.objects.create_user(
        username="editor", email="editor@example.com", password="x"
    )
    user.groups.add(group)
    return user


SCREENS = ["program_files", "download_limits", "customers_access", "downloads_and_plays"]


@pytest.mark.parametrize("screen", SCREENS)
def test_without_the_shops_permissions_the_screens_are_refused_and_not_in_the_menu(
    client, access_admin_only, screen, local_private_storage
):
    client.force_login(access_admin_only)

    dashboard = client.get("/cms/").content.decode()
    page = client.get(reverse(f"{screen}:index"))
    from_a_script = client.get(
        reverse(f"{screen}:index"), headers={"x-requested-with": "XMLHttpRequest"}
    )

    assert reverse(f"{screen}:index") not in dashboard
    # The CMS sends a page request back to its dashboard with its "no permission" message.
    assert page.status_code == 302 and page["Location"] == reverse("wagtailadmin_home")
    assert from_a_script.status_code == 403


def test_without_the_permission_no_upload_is_presigned(client, access_admin_only):
    client.force_login(access_admin_only)

    response = client.post(
        reverse("program_files:direct_upload"), {"filename": "a.mp4", "size": 10}
    )

    assert response.status_code == 403
    assert "permission" in response.json()["error"]


def test_with_the_view_permission_the_log_is_listed_but_grants_not_editable(
    client, access_admin_only, local_private_storage
):
    access_admin_only.groups.first().permissions.add(
        Permission.objects.get(codename="view_downloadlog"),
        Permission.objects.get(codename="view_downloadgrant"),
    )
    grant = grant_with_plan(user=access_admin_only, product=ProgramFactory())
    client.force_login(access_admin_only)

    dashboard = client.get("/cms/").content.decode()
    edit = client.get(reverse("customers_access:edit", args=[grant.pk]))

    assert reverse("downloads_and_plays:index") in dashboard
    assert client.get(reverse("downloads_and_plays:index")).status_code == 200
    assert edit.status_code == 302


def test_the_cms_menu_leads_to_the_four_screens(admin_client):
    page = admin_client.get("/cms/").content.decode()

    for screen in SCREENS:
        assert reverse(f"{screen}:index") in page
    assert "/django-admin/downloads/" not in page


def test_the_django_admin_no_longer_keeps_program_files(admin_client):
    assert admin_client.get("/django-admin/downloads/programfile/").status_code == 404


def test_a_download_limit_is_set_in_the_cms(admin_client):
    program = ProgramFactory()

    response = admin_client.post(
        reverse("download_limits:add"), {"product": program.pk, "downloads_per_day": 5}
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert DownloadLimit.objects.get(product=program).downloads_per_day == 5


def test_the_author_ends_a_customers_access_with_her_own_reason(admin_client, django_user_model):
    customer = django_user_model.objects.create_user(username="c", email="c@example.com")
    grant = grant_with_plan(user=customer, product=ProgramFactory())
    DownloadGrant.objects.filter(pk=grant.pk).update(ended_by_plan=True)
    ends = timezone.now() - timedelta(hours=1)

    response = admin_client.post(
        reverse("customers_access:edit", args=[grant.pk]),
        {
            "ends_at": ends.strftime("%Y-%m-%d %H:%M"),
            "ended_reason": "Refunded at the customer's request",
            "downloads_per_day": "12",
            # Not editable here: ignored if sent.
            "user": "1",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    grant.refresh_from_db()
    assert grant.ended_reason == "Refunded at the customer's request"
    assert grant.ends_at is not None and not grant.ended_by_plan
    assert grant.user == customer and grant.downloads_per_day == 12
    assert ModelLogEntry.objects.filter(action="wagtail.edit").exists()
    # Orders give access: there is no page to add one, nor to delete one.
    for view in ("add", "delete"):
        with pytest.raises(NoReverseMatch):
            reverse(f"customers_access:{view}", args=[grant.pk] if view == "delete" else [])


def test_customers_access_is_searched_by_email_and_order_and_filtered_open_or_ended(
    admin_client, django_user_model
):
    program = ProgramFactory()
    ann = django_user_model.objects.create_user(username="ann", email="ann@example.com")
    bob = django_user_model.objects.create_user(username="bob", email="bob@example.com")
    open_grant = grant_with_plan(user=ann, product=program)
    grant_with_plan(
        user=bob, product=program, ends_at=timezone.now() - timedelta(days=1), ended_reason="x"
    )
    index = reverse("customers_access:index")

    by_email = admin_client.get(index, {"q": "ann@"}).content.decode()
    by_order = admin_client.get(index, {"q": open_grant.order.number}).content.decode()
    ended = admin_client.get(index, {"state": "ended"}).content.decode()
    still_open = admin_client.get(index, {"state": "open"}).content.decode()

    assert "ann@example.com" in by_email and "bob@example.com" not in by_email
    assert "ann@example.com" in by_order and "bob@example.com" not in by_order
    assert "bob@example.com" in ended and "ann@example.com" not in ended
    assert "ann@example.com" in still_open and "bob@example.com" not in still_open


def test_downloads_and_plays_are_searched_filtered_and_exported(
    admin_client, django_user_model, local_private_storage
):
    program = ProgramFactory()
    book = program_file_create(product=program, title="The book")
    ann = django_user_model.objects.create_user(username="ann", email="ann@example.com")
    grant = grant_with_plan(user=ann, product=program)
    download_record(
        user=ann, program_file=book, grant=grant, ip_address="10.0.0.1", user_agent="Firefox"
    )
    download_record(
        user=ann,
        program_file=book,
        grant=grant,
        ip_address="10.0.0.1",
        user_agent="Firefox",
        kind="play",
        at=timezone.now() - timedelta(days=3),
    )
    index = reverse("downloads_and_plays:index")
    today = timezone.now().date().isoformat()

    searched = admin_client.get(index, {"q": "ann@"}).content.decode()
    plays = admin_client.get(index, {"kind": "play"}).content.decode()
    from_today = admin_client.get(index, {"downloaded_at_from": today})
    exported = admin_client.get(index, {"export": "csv", "kind": "download"})

    assert searched.count("ann@example.com") >= 2
    assert "Play" in plays and "Download</td>" not in plays
    assert len(from_today.context["object_list"]) == 1
    rows = list(csv.DictReader(io.StringIO(b"".join(exported.streaming_content).decode())))
    assert [(r["Customer"], r["File"], r["Kind"], r["Browser"]) for r in rows] == [
        ("ann@example.com", "The book", "Download", "Firefox")
    ]
    assert DownloadLog.objects.count() == 2


def test_groups_are_offered_only_the_permissions_that_open_a_screen(admin_client):
    # The CMS's URLs, loaded here, register the screens and their permissions.
    group_form = admin_client.get("/cms/groups/new/").content.decode()
    offered = {
        permission.codename
        for hook in hooks.get_hooks("register_permissions")
        for permission in hook()
        if permission.content_type.app_label == "downloads"
    }

    assert {"add_programfile", "change_programfile", "delete_programfile"} <= offered
    assert {"add_downloadlimit", "change_downloadlimit", "delete_downloadlimit"} <= offered
    assert {"view_downloadgrant", "change_downloadgrant", "view_downloadlog"} <= offered
    assert not offered & {"add_downloadgrant", "delete_downloadgrant", "change_downloadlog"}
    assert not any(codename.endswith("playbackposition") for codename in offered)
    for model in ("Program file", "Download limit", "Download grant", "Download log"):
        assert model in group_form
