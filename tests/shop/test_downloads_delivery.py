"""Delivery: grant checks, local streaming with ranges, S3 presigned links, the log and the
daily limit, and the "My downloads" page."""

import hashlib
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit
from urllib.request import urlopen

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from shop.billing.models import PlanStatus
from shop.downloads.models import DownloadLimit, DownloadLog
from tests.shop.download_factories import grant_with_plan, program_file_create
from tests.shop.factories import ProgramFactory

pytestmark = pytest.mark.django_db
CONTENT = b"%PDF-1.7 " + bytes(range(256)) * 400


@pytest.fixture
def customer(django_user_model):
    return django_user_model.objects.create_user(
        username="reader", email="reader@example.com", password="pw"
    )


@pytest.fixture
def program():
    return ProgramFactory()


@pytest.fixture
def book(local_private_storage, program):
    return program_file_create(product=program, content=CONTENT)


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def download_url(program_file) -> str:
    return reverse("downloads:file", args=[program_file.pk])


def test_the_upload_records_size_and_checksum(book):
    assert book.size_bytes == len(CONTENT)
    assert book.sha256 == hashlib.sha256(CONTENT).hexdigest()
    assert book.original_filename == "Back Pain Book.pdf"
    assert book.file.name.startswith(f"program/{book.product_id}/")


def test_a_signed_out_visitor_is_sent_to_sign_in(client, book):
    response = client.get(download_url(book))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("customer:login"))


def test_a_customer_downloads_the_whole_file(client, customer, program, book):
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)

    response = client.get(
        download_url(book),
        HTTP_USER_AGENT="Firefox/140",
        REMOTE_ADDR="203.0.113.7",
    )

    assert response.status_code == 200
    assert body(response) == CONTENT
    assert response["Content-Length"] == str(len(CONTENT))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Back Pain Book.pdf"'
    assert response["Accept-Ranges"] == "bytes"
    assert response["Cache-Control"] == "private, no-store"
    log = DownloadLog.objects.get()
    assert (log.user, log.program_file, log.ip_address, log.user_agent) == (
        customer,
        book,
        "203.0.113.7",
        "Firefox/140",
    )
    assert not log.resumed


def test_a_range_is_answered_with_partial_content(client, customer, program, book):
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)

    response = client.get(download_url(book), HTTP_RANGE="bytes=100-199")

    assert response.status_code == 206
    assert body(response) == CONTENT[100:200]
    assert response["Content-Range"] == f"bytes 100-199/{len(CONTENT)}"
    assert response["Content-Length"] == "100"
    # Nothing of this file was downloaded before: the range counts as a new download.
    assert not DownloadLog.objects.get().resumed


def test_a_range_past_the_end_gets_416(client, customer, program, book):
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)

    response = client.get(download_url(book), HTTP_RANGE=f"bytes={len(CONTENT)}-")

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(CONTENT)}"


def test_resuming_a_replaced_file_starts_over(client, customer, program, book):
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)

    response = client.get(download_url(book), HTTP_RANGE="bytes=100-", HTTP_IF_RANGE='"old"')

    assert response.status_code == 200
    assert body(response) == CONTENT


def test_nobody_else_gets_the_file(client, customer, program, book, django_user_model):
    other_program = ProgramFactory(title="Another program")
    stranger = django_user_model.objects.create_user(username="s", email="s@example.com")
    grant_with_plan(user=stranger, product=other_program)
    client.force_login(stranger)

    assert client.get(download_url(book)).status_code == 404
    assert client.get(reverse("downloads:file", args=[book.pk + 1000])).status_code == 404
    assert not DownloadLog.objects.exists()


@pytest.mark.parametrize(
    "plan",
    [
        {"status": PlanStatus.TRIAL_QUIT, "started": timedelta(days=20)},
        {"status": PlanStatus.REFUNDED},
        {"status": PlanStatus.PAYMENT_FAILED, "started": timedelta(days=20), "suspended": True},
        {"status": PlanStatus.PAID_IN_FULL, "ends_at": timezone.now() - timedelta(days=1)},
    ],
    ids=["quit-after-trial-end", "refunded", "suspended", "grant-ended"],
)
def test_ended_access_gets_404_and_says_why_on_my_program(client, customer, program, book, plan):
    grant = grant_with_plan(user=customer, product=program, **plan)
    client.force_login(customer)

    assert client.get(download_url(book)).status_code == 404
    page = client.get(reverse("billing:program"))
    assert page.status_code == 200
    assert download_url(book) not in page.content.decode()
    assert '<p class="access-ended">' in page.content.decode()
    assert grant.ended_reason or "Your access ended on" in page.content.decode()


def test_my_program_lists_files_sizes_and_buttons(client, customer, program, book):
    video = program_file_create(product=program, title="Session 1 (video)", name="s1.mp4")
    book.sort_order, video.sort_order = 5, 1
    book.save()
    video.save()
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)

    page = client.get(reverse("billing:program"))
    html = page.content.decode()

    assert html.index("Session 1 (video)") < html.index("The book")
    assert download_url(book) in html and download_url(video) in html
    assert "100.0\xa0KB" in html
    assert 'href="/shop/accounts/program/"' in html  # the account menu


def test_my_downloads_needs_sign_in(client):
    response = client.get(reverse("downloads:index"), follow=True)

    assert response.redirect_chain[-1][0].startswith(reverse("customer:login"))


def test_the_daily_limit_stops_new_downloads_but_not_resumes(client, customer, program, book):
    DownloadLimit.objects.create(product=program, downloads_per_day=2)
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)

    assert client.get(download_url(book)).status_code == 200
    assert client.get(download_url(book)).status_code == 200
    refused = client.get(download_url(book))
    resumed = client.get(download_url(book), HTTP_RANGE="bytes=500-")

    assert refused.status_code == 429
    assert "2 downloads of this program in the last 24 hours" in refused.content.decode()
    assert resumed.status_code == 206
    assert DownloadLog.objects.count() == 3


def test_a_limit_for_one_customer_wins_over_the_products(client, customer, program, book):
    DownloadLimit.objects.create(product=program, downloads_per_day=1)
    grant = grant_with_plan(user=customer, product=program)
    grant.downloads_per_day = 3
    grant.save()
    client.force_login(customer)

    statuses = [client.get(download_url(book)).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


@pytest.mark.slow
def test_on_s3_the_download_is_a_short_lived_presigned_link(client, customer, program, s3_storages):
    book = program_file_create(product=program, content=CONTENT)
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)

    response = client.get(download_url(book))

    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    query = parse_qs(urlsplit(response["Location"]).query)
    assert int(query["X-Amz-Expires"][0]) <= 300
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["response-content-disposition"] == ['attachment; filename="Back Pain Book.pdf"']
    assert query["response-content-type"] == ["application/pdf"]
    with urlopen(response["Location"], timeout=10) as s3_response:
        assert s3_response.read() == CONTENT
    assert DownloadLog.objects.count() == 1


@pytest.mark.parametrize("kind", ["txt", "html"])
def test_the_order_email_links_to_my_program_never_to_a_file(customer, program, book, kind):
    grant = grant_with_plan(user=customer, product=program)

    email = render_to_string(
        f"oscar/communication/emails/commtype_order_placed_body.{kind}", {"order": grant.order}
    )

    assert "/shop/accounts/program/" in email
    assert "/shop/accounts/downloads/file/" not in email


def test_a_head_request_gives_the_size_and_is_not_logged(client, customer, program, book):
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)

    response = client.head(download_url(book))

    assert response.status_code == 200
    assert response["Content-Length"] == str(len(CONTENT))
    assert not DownloadLog.objects.exists()


def test_the_cms_menu_leads_to_the_program_files(admin_client):
    page = admin_client.get("/cms/").content.decode()

    assert reverse("program_files:index") in page


def test_ranges_after_the_limit_are_refused_unless_they_resume_a_counted_download(
    client, customer, program, book
):
    DownloadLimit.objects.create(product=program, downloads_per_day=1)
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)
    other_file = program_file_create(product=program, content=CONTENT, title="Workbook")

    # The day's one download, broken off after 500 bytes
    assert client.get(download_url(book), HTTP_RANGE="bytes=0-499").status_code == 206
    assert client.get(download_url(other_file)).status_code == 429
    # A range of a file not downloaded today is a new download, refused like one
    ranged = [client.get(download_url(other_file), HTTP_RANGE="bytes=1-") for _ in range(5)]
    assert [r.status_code for r in ranged] == [429] * 5
    # The same file from another address is another visitor: refused as well
    elsewhere = client.get(download_url(book), HTTP_RANGE="bytes=1-", REMOTE_ADDR="198.51.100.9")
    assert elsewhere.status_code == 429

    resumed = client.get(download_url(book), HTTP_RANGE="bytes=500-")

    assert resumed.status_code == 206
    assert body(resumed) == CONTENT[500:]
    assert list(DownloadLog.objects.order_by("pk").values_list("resumed", flat=True)) == [
        False,
        True,
    ]


def test_a_resume_counts_as_new_once_the_counted_download_is_a_day_old(
    client, customer, program, book
):
    DownloadLimit.objects.create(product=program, downloads_per_day=1)
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)
    assert client.get(download_url(book)).status_code == 200
    DownloadLog.objects.update(downloaded_at=timezone.now() - timedelta(days=1, minutes=1))

    assert client.get(download_url(book), HTTP_RANGE="bytes=500-").status_code == 206
    assert client.get(download_url(book), HTTP_RANGE="bytes=900-").status_code == 206
    assert client.get(download_url(book)).status_code == 429
    assert DownloadLog.objects.filter(resumed=False).count() == 2
