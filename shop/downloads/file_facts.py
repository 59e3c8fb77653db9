"""What a program file is, for the customer's list: its kind (from the content type), the
length of audio and video and the pages of a PDF, measured from the upload where a kept
library reads the format (mutagen, pypdf). What cannot be measured (a WebM video, a
damaged file) stays empty for the author to type in."""

import logging
import mimetypes
from dataclasses import dataclass

import mutagen
from pypdf import PdfReader

from shop.downloads.models import FileKind

logger = logging.getLogger(__name__)

# Formats the standard library's table leaves out on some systems.
_EXTRA_TYPES = {".opus": "audio/ogg", ".oga": "audio/ogg", ".m4a": "audio/mp4", ".vtt": "text/vtt"}


@dataclass(frozen=True)
class FileFacts:
    kind: str
    duration_seconds: int | None = None
    page_count: int | None = None


def content_type_of(filename: str) -> str:
    """The content type a file's name says, or application/octet-stream."""
    name = filename.lower()
    for ending, content_type in _EXTRA_TYPES.items():
        if name.endswith(ending):
            return content_type
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def kind_of(content_type: str) -> str:
    if content_type == "application/pdf":
        return FileKind.BOOK
    if content_type.startswith("audio/"):
        return FileKind.AUDIO
    if content_type.startswith("video/"):
        return FileKind.VIDEO
    return FileKind.OTHER


def _media_length(handle) -> int | None:
    try:
        media = mutagen.File(handle)
    except Exception as exc:
        # mutagen raises its own errors and some of the struct module's on damaged files.
        logger.warning("Could not read the length of an uploaded media file: %r", exc)
        return None
    length = getattr(getattr(media, "info", None), "length", 0) or 0
    return round(length) if length > 0 else None


def _pdf_pages(handle) -> int | None:
    try:
        return len(PdfReader(handle).pages) or None
    except Exception as exc:
        # pypdf raises many kinds of errors on damaged files; the author types the count.
        logger.warning("Could not count the pages of an uploaded PDF: %r", exc)
        return None


def file_facts_measure(*, upload, filename: str) -> FileFacts:
    """Kind, length and pages of an uploaded file (read from the start, left rewound)."""
    kind = kind_of(content_type_of(filename))
    duration = pages = None
    try:
        if kind in (FileKind.AUDIO, FileKind.VIDEO):
            upload.seek(0)
            duration = _media_length(upload)
        elif kind == FileKind.BOOK:
            upload.seek(0)
            pages = _pdf_pages(upload)
    finally:
        upload.seek(0)
    return FileFacts(kind=kind, duration_seconds=duration, page_count=pages)
