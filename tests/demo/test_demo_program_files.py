"""The demo program holds what the product promises, small enough to ship: a book of a few
pages, an audio lesson and a short video session with captions and a transcript."""

import pytest
from django.template import Context, Template
from django.urls import reverse

from demo.loader import CONTENT_DIR, demo_content, demo_content_load
from shop.downloads.models import FileKind, ProgramFile

pytestmark = pytest.mark.django_db

MEDIA = CONTENT_DIR / "media"


def test_the_shipped_media_are_small():
    sizes = {path.name: path.stat().st_size for path in MEDIA.iterdir()}

    assert sizes["lesson-1.mp3"] < 300_000
    assert sizes["session-1.webm"] < 400_000
    assert sizes["book.pdf"] < 100_000
    assert (MEDIA / "session-1.vtt").read_text().startswith("WEBVTT\n")


def test_the_demo_program_has_a_book_an_audio_lesson_and_a_video_session(demo_site):
    files = list(ProgramFile.objects.filter(product__upc="GFTBP-DOWNLOAD"))

    assert [f.kind for f in files] == [FileKind.BOOK, FileKind.AUDIO, FileKind.VIDEO]
    book, lesson, session = files
    assert book.page_count == 4
    assert lesson.duration_seconds == 40
    assert session.duration_seconds == 12
    assert session.captions.read().startswith(b"WEBVTT")
    assert "knees fall slowly to the left" in session.transcript
    assert lesson.transcript and not book.transcript
    assert session.original_filename == "Session 1 - Lying twist.webm"


def test_loading_again_adds_no_file_twice(demo_site):
    before = ProgramFile.objects.count()
    demo_content_load()

    assert ProgramFile.objects.count() == before == len(demo_content("program")["files"])


def test_the_product_page_can_list_the_programs_contents(client, demo_site):
    product = ProgramFile.objects.first().product
    html = Template("{% load program_tags %}{% program_contents product %}").render(
        Context({"product": product})
    )

    assert "Book (PDF)" in html and "4 pages" in html
    assert '<time datetime="PT40S">0:40</time>' in html
    assert '<time datetime="PT12S">0:12</time>' in html
    assert reverse("downloads:file", args=[product.program_files.first().pk]) not in html
