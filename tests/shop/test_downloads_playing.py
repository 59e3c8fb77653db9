"""Playing in "My program": the same grant check and log as a download, plays not counted
against the daily limit, ranges locally, presigned inline links on S3 and their refresh,
captions behind the same check, the resume position, and the page itself."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit
from urllib.request import urlopen

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shop.billing.models import PlanStatus
from shop.downloads.models import DownloadKind, DownloadLimit, DownloadLog, PlaybackPosition
from tests.shop.download_factories import grant_with_plan, program_file_create
from tests.shop.factories import ProgramFactory
from tests.shop.media_samples import VTT, wav_bytes

pytestmark = pytest.mark.django_db
AUDIO = wav_bytes(2)


@pytest.fixture
def customer(django_user_model):
    return django_user_model.objects.create_user(
        username="listener", email="listener@example.com", password="pw"
    )


@pytest.fixture
def program():
    return ProgramFactory()


@pytest.fixture
def lesson(local_private_storage, program):
    return program_file_create(
        product=program, title="Lesson 1", name="Lesson 1.wav", content=AUDIO
    )


def play_url(program_file) -> str:
    return reverse("downloads:play", args=[program_file.pk])


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def plays() -> list[str]:
    return list(DownloadLog.objects.values_list("kind", flat=True))


def test_a_customer_plays_the_whole_file_inline_and_the_play_is_logged(
    client, customer, program, lesson
):
    grant = grant_with_plan(user=customer, product=program)
    client.force_login(customer)

    response = client.get(play_url(lesson), HTTP_USER_AGENT="Chrome/140", REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 200
    assert body(response) == AUDIO
    assert response["Content-Type"] in ("audio/x-wav", "audio/wav")
    assert response["Content-Disposition"] == 'inline; filename="Lesson 1.wav"'
    assert response["Accept-Ranges"] == "bytes"
    assert response["Cache-Control"] == "private, no-store"
    log = DownloadLog.objects.get()
    assert (log.kind, log.user, log.grant, log.program_file, log.ip_address, log.user_agent) == (
        DownloadKind.PLAY,
        customer,
        grant,
        lesson,
        "203.0.113.7",
        "Chrome/140",
    )


def test_a_players_ranges_are_answered_206_and_logged_as_one_play(
    client, customer, program, lesson
):
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)

    first = client.get(play_url(lesson), HTTP_RANGE="bytes=0-")
    middle = client.get(play_url(lesson), HTTP_RANGE="bytes=1000-1999")
    again = client.get(play_url(lesson), HTTP_RANGE="bytes=0-")

    assert first.status_code == middle.status_code == again.status_code == 206
    assert body(middle) == AUDIO[1000:2000]
    assert middle["Content-Range"] == f"bytes 1000-1999/{len(AUDIO)}"
    assert plays() == [DownloadKind.PLAY]


def test_a_play_is_logged_again_after_a_while(client, customer, program, lesson):
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)
    client.get(play_url(lesson), HTTP_RANGE="bytes=0-")
    DownloadLog.objects.update(downloaded_at=timezone.now() - timedelta(minutes=31))

    client.get(play_url(lesson), HTTP_RANGE="bytes=0-")

    assert plays() == [DownloadKind.PLAY, DownloadKind.PLAY]


def test_a_range_past_the_end_gets_416(client, customer, program, lesson):
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)

    response = client.get(play_url(lesson), HTTP_RANGE=f"bytes={len(AUDIO)}-")

    assert response.status_code == 416
    assert not DownloadLog.objects.exists()


def test_plays_do_not_count_toward_the_daily_limit(client, customer, program, lesson):
    DownloadLimit.objects.create(product=program, downloads_per_day=1)
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)
    DownloadLog.objects.bulk_create(
        DownloadLog(
            user=customer,
            program_file=lesson,
            product=program,
            file_title=lesson.title,
            kind=DownloadKind.PLAY,
            ip_address=f"198.51.100.{n}",
        )
        for n in range(5)
    )

    assert client.get(play_url(lesson)).status_code == 200
    # The day's one download is still there to take, and then it is used up.
    assert client.get(reverse("downloads:file", args=[lesson.pk])).status_code == 200
    assert client.get(reverse("downloads:file", args=[lesson.pk])).status_code == 429
    # Playing goes on past the download limit.
    assert client.get(play_url(lesson), HTTP_RANGE="bytes=0-").status_code == 206


def test_a_play_does_not_let_a_range_download_pass_as_a_resume(client, customer, program, lesson):
    DownloadLimit.objects.create(product=program, downloads_per_day=1)
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)
    client.get(reverse("downloads:file", args=[lesson.pk]))
    client.get(play_url(lesson))

    ranged = client.get(reverse("downloads:file", args=[lesson.pk]), HTTP_RANGE="bytes=10-")

    # It resumes the counted download (same file, account, address): 206, marked resumed.
    assert ranged.status_code == 206
    other = program_file_create(product=program, title="Lesson 2", name="2.wav", content=AUDIO)
    client.get(play_url(other))
    assert (
        client.get(reverse("downloads:file", args=[other.pk]), HTTP_RANGE="bytes=10-").status_code
        == 429
    )


def _others(django_user_model):
    return django_user_model.objects.create_user(username="o", email="o@example.com")


@pytest.mark.parametrize(
    "who",
    ["no-grant", "other-users-grant", "quit-after-trial-end", "refunded", "grant-ended"],
)
def test_without_access_playing_captions_links_and_positions_get_404_and_no_log(
    client, customer, program, lesson, django_user_model, who
):
    lesson.captions.save("l1.vtt", ContentFile(VTT))
    if who == "other-users-grant":
        grant_with_plan(user=_others(django_user_model), product=program)
    elif who == "quit-after-trial-end":
        grant_with_plan(
            user=customer, product=program, status=PlanStatus.TRIAL_QUIT, started=timedelta(20)
        )
    elif who == "refunded":
        grant_with_plan(user=customer, product=program, status=PlanStatus.REFUNDED)
    elif who == "grant-ended":
        grant_with_plan(
            user=customer,
            product=program,
            status=PlanStatus.PAID_IN_FULL,
            ends_at=timezone.now() - timedelta(days=1),
        )
    client.force_login(customer)

    assert client.get(play_url(lesson)).status_code == 404
    assert client.get(play_url(lesson), HTTP_RANGE="bytes=0-").status_code == 404
    assert client.get(reverse("downloads:play-link", args=[lesson.pk])).status_code == 404
    assert client.get(reverse("downloads:captions", args=[lesson.pk])).status_code == 404
    saved = client.post(reverse("downloads:position", args=[lesson.pk]), {"seconds": "12"})
    assert saved.status_code == 404
    assert not DownloadLog.objects.exists()
    assert not PlaybackPosition.objects.exists()


def test_a_signed_out_visitor_is_sent_to_sign_in(client, lesson):
    for name in ("play", "play-link", "captions"):
        response = client.get(reverse(f"downloads:{name}", args=[lesson.pk]))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("customer:login"))


def test_captions_are_served_as_webvtt_to_the_customer(client, customer, program, lesson):
    lesson.captions.save("l1.vtt", ContentFile(VTT))
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)

    response = client.get(reverse("downloads:captions", args=[lesson.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/vtt; charset=utf-8"
    assert response.content == VTT
    assert response["Cache-Control"] == "private, no-store"


def test_a_file_without_captions_has_none_to_serve(client, customer, program, lesson):
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)

    assert client.get(reverse("downloads:captions", args=[lesson.pk])).status_code == 404


def test_locally_the_play_link_is_the_stream_and_never_expires(client, customer, program, lesson):
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)

    link = client.get(reverse("downloads:play-link", args=[lesson.pk])).json()

    assert link == {"url": play_url(lesson), "expires_at": None, "expires_in": None}


def _position_url(program_file) -> str:
    return reverse("downloads:position", args=[program_file.pk])


def test_the_position_is_saved_once_per_customer_and_file(client, customer, program, lesson):
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)

    first = client.post(_position_url(lesson), {"seconds": "12.34"})
    second = client.post(_position_url(lesson), {"seconds": "75"})

    assert first.status_code == second.status_code == 200
    assert second.json() == {"seconds": 75.0}
    position = PlaybackPosition.objects.get()
    assert (position.user, position.program_file, position.seconds) == (customer, lesson, 75.0)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({}, "Send the position"),
        ({"seconds": "soon"}, "number of seconds"),
        ({"seconds": "-3"}, "between 0 and"),
        ({"seconds": "nan"}, "between 0 and"),
        ({"seconds": "inf"}, "between 0 and"),
        ({"seconds": "90000"}, "between 0 and"),
    ],
    ids=["missing", "words", "negative", "nan", "infinity", "over-a-day"],
)
def test_a_bad_position_gets_400_with_the_reason_and_keeps_the_old_one(
    client, customer, program, lesson, data, words
):
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)
    client.post(_position_url(lesson), {"seconds": "30"})

    response = client.post(_position_url(lesson), data)

    assert response.status_code == 400
    assert words in response.json()["error"]
    assert PlaybackPosition.objects.get().seconds == 30.0


def test_saving_a_position_needs_the_csrf_token(customer, program, lesson):
    grant_with_plan(user=customer, product=program)
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)

    refused = client.post(_position_url(lesson), {"seconds": "30"})
    page = client.get(reverse("billing:program"))
    token = page.context["csrf_token"]
    accepted = client.post(_position_url(lesson), {"seconds": "30", "csrfmiddlewaretoken": token})

    assert refused.status_code == 403
    assert accepted.status_code == 200


def test_my_downloads_leads_to_my_program(client, customer):
    client.force_login(customer)

    response = client.get(reverse("downloads:index"))

    assert response.status_code == 302
    assert response["Location"] == reverse("billing:program")


def test_my_program_shows_files_players_captions_transcript_and_the_saved_position(
    client, customer, program, lesson
):
    video = program_file_create(product=program, title="Session 1", name="s1.webm", content=b"v")
    video.captions.save("s1.vtt", ContentFile(VTT))
    video.transcript = "Lie on your back, knees bent."
    video.description = "Eight seconds, lying down."
    video.duration_seconds = 8
    video.save()
    book = program_file_create(product=program, title="The book", name="book.pdf")
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)
    client.post(_position_url(video), {"seconds": "4.5"})

    page = client.get(reverse("billing:program"))
    html = page.content.decode()

    assert page.status_code == 200
    assert "private" in page.get("Cache-Control", ""), page.get("Cache-Control")
    assert f'<video controls preload="metadata" src="{play_url(video)}"' in html
    assert f'<audio controls preload="metadata" src="{play_url(lesson)}"' in html
    assert 'data-resume-at="4.5"' in html and 'data-resume-at="0.0"' in html
    assert reverse("downloads:captions", args=[video.pk]) in html
    assert '<track kind="captions"' in html
    assert "<summary>Transcript</summary>" in html and "knees bent" in html
    assert "Eight seconds, lying down." in html
    assert '<time datetime="PT8S">0:08</time>' in html
    for program_file in (video, lesson, book):
        assert reverse("downloads:file", args=[program_file.pk]) in html
    assert play_url(book) not in html  # a book is downloaded, not played
    assert "data-link-expires-in" not in html  # local links never expire
    assert "js/program-player" in html and "css/program.css" in html
    assert "My downloads" not in html
    # Opening the page logs nothing: plays are logged when the player fetches the file.
    assert not DownloadLog.objects.exists()


def test_my_program_says_why_access_ended(client, customer, program, lesson):
    grant_with_plan(user=customer, product=program, status=PlanStatus.REFUNDED)
    client.force_login(customer)

    html = client.get(reverse("billing:program")).content.decode()

    assert 'class="access-ended"' in html
    assert play_url(lesson) not in html


def _my_program_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("billing:program"))
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_my_program_costs_the_same_for_1_and_12_files(client, customer, program, lesson):
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)
    client.post(_position_url(lesson), {"seconds": "1"})
    _my_program_queries(client)  # the first visit's once-only queries (session, site)
    one, html = _my_program_queries(client)
    assert html.count('class="program-file ') == 1

    for n in range(11):
        extra = program_file_create(
            product=program, title=f"Lesson {n + 2}", name=f"{n}.wav", content=AUDIO
        )
        extra.captions.save("c.vtt", ContentFile(VTT))
        client.post(_position_url(extra), {"seconds": "2"})
    twelve, html = _my_program_queries(client)

    assert html.count('class="program-file ') == 12
    assert twelve == one


@pytest.mark.slow
def test_on_s3_playing_is_a_short_lived_inline_link_and_the_page_can_refresh_it(
    client, customer, program, s3_storages
):
    lesson = program_file_create(
        product=program, title="Lesson 1", name="Lesson 1.wav", content=AUDIO
    )
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)

    played = client.get(play_url(lesson))
    link = client.get(reverse("downloads:play-link", args=[lesson.pk]))
    page = client.get(reverse("billing:program")).content.decode()

    assert played.status_code == 302
    assert played["Cache-Control"] == "private, no-store"
    for url in (played["Location"], link.json()["url"]):
        query = parse_qs(urlsplit(url).query)
        assert 0 < int(query["X-Amz-Expires"][0]) <= 300
        assert query["response-content-disposition"] == ['inline; filename="Lesson 1.wav"']
        assert query["response-content-type"][0] in ("audio/x-wav", "audio/wav")
        with urlopen(url, timeout=10) as s3_response:
            assert s3_response.read() == AUDIO
    assert link.status_code == 200
    assert link["Cache-Control"] == "private, no-store"
    assert link.json()["expires_in"] == int(
        parse_qs(urlsplit(link.json()["url"]).query)["X-Amz-Expires"][0]
    )
    expires_at = timezone.datetime.fromisoformat(link.json()["expires_at"])
    assert timezone.now() < expires_at <= timezone.now() + timedelta(seconds=300)
    assert 'data-link-expires-in="300"' in page
    # The redirect and the refresh within minutes are one play.
    assert plays() == [DownloadKind.PLAY]


@pytest.mark.slow
def test_on_s3_captions_are_served_from_the_site(client, customer, program, s3_storages):
    lesson = program_file_create(product=program, title="Lesson 1", name="l.wav", content=AUDIO)
    lesson.captions.save("l1.vtt", ContentFile(VTT))
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)

    response = client.get(reverse("downloads:captions", args=[lesson.pk]))

    assert response.status_code == 200
    assert response.content == VTT


def test_a_book_keeps_no_position(client, customer, program, local_private_storage):
    book = program_file_create(product=program, title="The book", name="book.pdf")
    grant_with_plan(user=customer, product=program)
    client.force_login(customer)

    response = client.post(_position_url(book), {"seconds": "12"})

    assert response.status_code == 400
    assert response.json() == {"error": "Only audio and video keep a position."}
    assert not PlaybackPosition.objects.exists()
