"""What a program file is: kind from its type, length and pages measured at upload, the
author's own values where nothing can be measured, captions checked, and the product
page's list of contents."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shop.downloads.models import FileKind, ProgramFile
from shop.downloads.services import program_file_store
from tests.shop.download_factories import program_file_create
from tests.shop.factories import ProgramFactory
from tests.shop.media_samples import VTT, pdf_bytes, wav_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def program():
    return ProgramFactory()


def test_a_pdf_is_a_book_with_its_pages_counted(local_private_storage, program):
    book = program_file_create(product=program, name="Book.pdf", content=pdf_bytes(pages=4))

    assert (book.kind, book.page_count, book.duration_seconds) == (FileKind.BOOK, 4, None)


def test_audio_is_measured(local_private_storage, program):
    lesson = program_file_create(product=program, name="Lesson 1.wav", content=wav_bytes(3))

    assert (lesson.kind, lesson.duration_seconds, lesson.page_count) == (FileKind.AUDIO, 3, None)


def test_a_video_that_cannot_be_measured_keeps_the_authors_length(local_private_storage, program):
    video = ProgramFile(product=program, title="Session 1", duration_seconds=95)

    program_file_store(program_file=video, upload=SimpleUploadedFile("s1.webm", b"\x1a\x45\xdf"))

    video.refresh_from_db()
    assert (video.kind, video.duration_seconds) == (FileKind.VIDEO, 95)


def test_a_damaged_pdf_is_stored_with_its_pages_left_to_the_author(local_private_storage, program):
    book = program_file_create(product=program, name="Book.pdf", content=b"%PDF-1.7 broken")

    assert (book.kind, book.page_count, book.size_bytes) == (FileKind.BOOK, None, 15)


def test_replacing_a_book_with_audio_drops_the_page_count(local_private_storage, program):
    program_file = program_file_create(product=program, name="Book.pdf", content=pdf_bytes(2))

    program_file_store(
        program_file=program_file, upload=SimpleUploadedFile("Lesson.wav", wav_bytes(2))
    )

    program_file.refresh_from_db()
    assert (program_file.kind, program_file.page_count, program_file.duration_seconds) == (
        FileKind.AUDIO,
        None,
        2,
    )


def _file_form(program, **fields):
    return {
        "product": program.pk,
        "title": "Session 1 (video)",
        "description": "",
        "original_filename": "",
        "sort_order": 0,
        "kind": "video",
        "duration_seconds": "",
        "page_count": "",
        "transcript": "",
        **fields,
    }


def test_the_author_adds_captions_a_transcript_and_a_length(
    client, admin_user, local_private_storage, program
):
    client.force_login(admin_user)

    response = client.post(
        reverse("program_files:add"),
        _file_form(
            program,
            file=SimpleUploadedFile("s1.webm", b"\x1a\x45\xdf\xa3 video"),
            captions=SimpleUploadedFile("s1.vtt", VTT),
            transcript="Lie on your back, knees bent.",
            duration_seconds="95",
        ),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    video = ProgramFile.objects.get()
    assert (video.kind, video.duration_seconds) == (FileKind.VIDEO, 95)
    assert video.transcript == "Lie on your back, knees bent."
    assert (local_private_storage / video.captions.name).read_bytes() == VTT


@pytest.mark.parametrize(
    ("name", "content"),
    [("s1.srt", VTT), ("s1.vtt", b"1\n00:00:00,000 --> 00:00:02,000\nHello\n")],
    ids=["not-vtt-name", "srt-content"],
)
def test_captions_that_are_not_webvtt_are_refused_and_nothing_is_saved(
    client, admin_user, local_private_storage, program, name, content
):
    client.force_login(admin_user)

    response = client.post(
        reverse("program_files:add"),
        _file_form(
            program,
            file=SimpleUploadedFile("s1.webm", b"video"),
            captions=SimpleUploadedFile(name, content),
        ),
    )

    assert response.status_code == 200
    assert "WebVTT" in response.content.decode()
    assert not ProgramFile.objects.exists()


def _contents(product) -> str:
    template = Template("{% load program_tags %}{% program_contents product %}")
    return template.render(Context({"product": product}))


def test_program_contents_lists_titles_kinds_lengths_pages_and_sizes(
    local_private_storage, program
):
    program_file_create(product=program, title="The book", name="Book.pdf", content=pdf_bytes(3))
    lesson = program_file_create(
        product=program, title="Lesson 1", name="Lesson 1.wav", content=wav_bytes(2)
    )
    ProgramFile.objects.filter(pk=lesson.pk).update(duration_seconds=125)

    html = _contents(program)

    assert "The book" in html and "Book (PDF)" in html and "3 pages" in html
    assert "Lesson 1" in html and "Audio" in html
    assert '<time datetime="PT2M5S">2:05</time>' in html
    assert "\xa0KB" in html or "\xa0bytes" in html


def test_program_contents_costs_one_query_however_many_files(local_private_storage, program):
    program_file_create(product=program, title="One")
    with CaptureQueriesContext(connection) as one:
        _contents(program)
    for n in range(5):
        program_file_create(product=program, title=f"More {n}")

    with CaptureQueriesContext(connection) as six:
        html = _contents(program)

    assert html.count("<li>") == 6
    assert len(six) == len(one) == 1


def test_the_author_removes_the_captions(
    client, admin_user, local_private_storage, program, django_capture_on_commit_callbacks
):
    video = program_file_create(product=program, title="Session 1", name="s1.webm", content=b"v")
    video.captions.save("s1.vtt", ContentFile(VTT))
    stored = local_private_storage / video.captions.name
    client.force_login(admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("program_files:edit", args=[video.pk]),
            _file_form(program, title="Session 1", captions_remove="on"),
        )

    assert response.status_code == 302, response.content.decode()[:3000]
    video.refresh_from_db()
    assert not video.captions
    assert not stored.exists()


def test_removing_the_captions_is_offered_only_for_a_file_that_has_some(
    client, admin_user, local_private_storage, program
):
    video = program_file_create(product=program, title="Session 1", name="s1.webm", content=b"v")
    silent = program_file_create(product=program, title="Session 2", name="s2.webm", content=b"v")
    video.captions.save("s1.vtt", ContentFile(VTT))
    client.force_login(admin_user)

    with_captions = client.get(reverse("program_files:edit", args=[video.pk])).content.decode()
    without = client.get(reverse("program_files:edit", args=[silent.pk])).content.decode()
    new = client.get(reverse("program_files:add")).content.decode()

    assert 'name="captions_remove"' in with_captions and "Currently: s1" in with_captions
    assert 'name="captions_remove"' not in without
    assert 'name="captions_remove"' not in new
