"""Program files in and out: storing an upload with its size and checksum (through the
server, or straight from the author's browser to S3), and recording each download against
the daily limit."""

import hashlib
import logging
import uuid
from datetime import datetime, timedelta

from django.core import signing
from django.db import transaction
from django.utils import timezone
from storages.utils import clean_name

from media_config.storages import STORAGE_UNAVAILABLE, private_storage_get, storage_is_s3
from shop.downloads.file_facts import content_type_of, file_facts_measure, kind_of
from shop.downloads.models import (
    DownloadGrant,
    DownloadKind,
    DownloadLimit,
    DownloadLog,
    FileKind,
    PlaybackPosition,
    ProgramFile,
)
from shop.errors import RefusedWithMessage

logger = logging.getLogger(__name__)

CHUNK_SIZE = 1024 * 1024
# A player asks for many ranges of one file, and opens it again after a seek or a reload:
# one play is logged per file, account and address within this time.
PLAY_LOG_WINDOW = timedelta(minutes=30)
# The longest a position may be (a day): anything more is a mistake or a made-up request.
POSITION_MAX_SECONDS = 24 * 3600


def upload_fingerprint(*, upload) -> tuple[int, str]:
    """(size in bytes, SHA-256 hex) of an uploaded file, read in chunks: a file of
    several GB is on disk (Django spools uploads over 2.5 MB to a temporary file), never
    in memory."""
    digest = hashlib.sha256()
    size = 0
    for chunk in upload.chunks(CHUNK_SIZE):
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return size, digest.hexdigest()


def _facts_apply(program_file: ProgramFile, facts) -> None:
    # A measured value replaces the old one; what could not be measured keeps the author's.
    program_file.kind = facts.kind
    if facts.kind != FileKind.BOOK:
        program_file.page_count = None
    if facts.kind not in (FileKind.AUDIO, FileKind.VIDEO):
        program_file.duration_seconds = None
    if facts.duration_seconds is not None:
        program_file.duration_seconds = facts.duration_seconds
    if facts.page_count is not None:
        program_file.page_count = facts.page_count


def program_file_store(*, program_file: ProgramFile, upload) -> ProgramFile:
    """Save ``upload`` as the file of ``program_file`` (new or replaced), with its kind,
    length or pages measured. The row keeps its id, so customers' links go on working; the
    replaced object is deleted once saved."""
    size, sha256 = upload_fingerprint(upload=upload)
    _facts_apply(program_file, file_facts_measure(upload=upload, filename=upload.name))
    old_name = None
    if program_file.pk:
        old_name = (
            ProgramFile.objects.filter(pk=program_file.pk).values_list("file", flat=True).first()
        )
    if not program_file.original_filename or old_name:
        program_file.original_filename = upload.name.rsplit("/", 1)[-1]
    program_file.file.save(upload.name, upload, save=False)
    program_file.size_bytes = size
    program_file.sha256 = sha256
    program_file.uploaded_at = timezone.now()
    program_file.save()
    if old_name and old_name != program_file.file.name:
        storage = program_file.file.storage
        transaction.on_commit(lambda: storage.delete(old_name))
    return program_file


def program_file_delete(*, program_file: ProgramFile) -> None:
    """Delete a program file and, once that is committed, its stored object."""
    storage, name = program_file.file.storage, program_file.file.name
    program_file.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def download_limit_for(*, grant: DownloadGrant) -> int | None:
    """Downloads a day for this grant: its own number, else the product's, else none."""
    if grant.downloads_per_day is not None:
        return grant.downloads_per_day
    limit = DownloadLimit.objects.filter(product_id=grant.product_id).first()
    return limit.downloads_per_day if limit else None


def downloads_today_count(*, user, product_id: int, at: datetime) -> int:
    """Downloads started (not resumed) by ``user`` of a product's files in the last 24 h.
    Plays in the page do not count: listening again is not taking another copy."""
    return DownloadLog.objects.filter(
        user=user,
        product_id=product_id,
        kind=DownloadKind.DOWNLOAD,
        resumed=False,
        downloaded_at__gt=at - timedelta(days=1),
    ).count()


def download_resumes_counted(
    *, user, grant: DownloadGrant, program_file: ProgramFile, ip_address: str | None, at: datetime
) -> bool:
    """Whether a range request continues a download already counted today: same grant, same
    file, same visitor (account and address). Any other range is a new download, or ranges
    would be a way round the daily limit."""
    return DownloadLog.objects.filter(
        user=user,
        grant=grant,
        program_file=program_file,
        ip_address=ip_address,
        kind=DownloadKind.DOWNLOAD,
        resumed=False,
        downloaded_at__gt=at - timedelta(days=1),
    ).exists()


def download_record(
    *,
    user,
    program_file: ProgramFile,
    grant: DownloadGrant,
    ip_address: str | None,
    user_agent: str,
    byte_range: str = "",
    resumed: bool = False,
    at: datetime | None = None,
    kind: str = DownloadKind.DOWNLOAD,
) -> DownloadLog:
    """Log one download request (or, with ``kind=play``, one play started)."""
    return DownloadLog.objects.create(
        kind=kind,
        user=user,
        program_file=program_file,
        grant=grant,
        product_id=program_file.product_id,
        file_title=program_file.title[:200],
        downloaded_at=at or timezone.now(),
        ip_address=ip_address,
        user_agent=user_agent[:500],
        byte_range=byte_range[:100],
        resumed=resumed,
    )


def play_start_record(
    *,
    user,
    program_file: ProgramFile,
    grant: DownloadGrant,
    ip_address: str | None,
    user_agent: str,
    byte_range: str = "",
    at: datetime,
) -> DownloadLog | None:
    """Log a play of ``program_file``, unless the same customer, from the same address,
    opened it within ``PLAY_LOG_WINDOW``: the player's further requests are one play."""
    already = DownloadLog.objects.filter(
        user=user,
        program_file=program_file,
        grant=grant,
        ip_address=ip_address,
        kind=DownloadKind.PLAY,
        downloaded_at__gt=at - PLAY_LOG_WINDOW,
    ).exists()
    if already:
        return None
    return download_record(
        user=user,
        program_file=program_file,
        grant=grant,
        ip_address=ip_address,
        user_agent=user_agent,
        byte_range=byte_range,
        at=at,
        kind=DownloadKind.PLAY,
    )


class PositionInvalid(RefusedWithMessage):
    """The position sent by the player cannot be kept; the message says why."""


def playback_position_parse(raw: str | None) -> float:
    """Seconds from the player's form field, or PositionInvalid with the reason."""
    if raw is None or not raw.strip():
        raise PositionInvalid("Send the position as 'seconds', a number of seconds.")
    try:
        seconds = float(raw)
    except ValueError as exc:
        raise PositionInvalid("The position must be a number of seconds.") from exc
    if not (0 <= seconds <= POSITION_MAX_SECONDS):  # also refuses NaN and infinity
        raise PositionInvalid(f"The position must be between 0 and {POSITION_MAX_SECONDS} seconds.")
    return round(seconds, 1)


def playback_position_save(*, user, program_file: ProgramFile, seconds: float) -> PlaybackPosition:
    """Keep where ``user`` stopped in ``program_file`` (one row per customer and file)."""
    position, _ = PlaybackPosition.objects.update_or_create(
        user=user, program_file=program_file, defaults={"seconds": seconds}
    )
    return position


# S3 takes at most 5 GB in one POST upload; larger files would need a multipart upload.
DIRECT_UPLOAD_MAX_BYTES = 5 * 1024**3
DIRECT_UPLOAD_EXPIRES_SECONDS = 3 * 3600
_DIRECT_UPLOAD_SALT = "shop.downloads.direct-upload"


class DirectUploadError(RefusedWithMessage):
    """The upload cannot be used; the message tells the author what to do."""


def direct_upload_start(*, filename: str, size: int) -> dict:
    """A presigned POST that lets the author's browser send one file straight to the
    private bucket, and a signed token naming the object for the form that follows.

    The policy fixes the object's key and size range, so the link cannot be reused to put
    anything else in the bucket."""
    storage = private_storage_get()
    if not storage_is_s3(storage):
        raise DirectUploadError("Direct uploads need S3 storage; use the file field instead.")
    if size <= 0:
        raise DirectUploadError("The file is empty.")
    if size > DIRECT_UPLOAD_MAX_BYTES:
        raise DirectUploadError(
            "Files over 5 GB cannot be uploaded in one piece; please split or compress it."
        )
    name = f"program/uploads/{uuid.uuid4().hex}/{storage.get_valid_name(filename)}"
    # The object's key in the bucket: the storage's own prefix ("private/") added.
    key = storage._normalize_name(clean_name(name))
    post = storage.bucket.meta.client.generate_presigned_post(
        Bucket=storage.bucket_name,
        Key=key,
        Conditions=[["content-length-range", 1, DIRECT_UPLOAD_MAX_BYTES], {"key": key}],
        ExpiresIn=DIRECT_UPLOAD_EXPIRES_SECONDS,
    )
    token = signing.dumps(
        {"name": name, "size": size, "filename": filename}, salt=_DIRECT_UPLOAD_SALT
    )
    return {"url": post["url"], "fields": post["fields"], "token": token}


def direct_upload_verify(*, token: str) -> dict:
    """Check that the object a token names arrived whole; returns the token's contents
    plus the stored size. Raises DirectUploadError with a message for the author."""
    try:
        upload = signing.loads(
            token, salt=_DIRECT_UPLOAD_SALT, max_age=DIRECT_UPLOAD_EXPIRES_SECONDS * 2
        )
    except signing.BadSignature as exc:
        raise DirectUploadError("The upload has expired; please choose the file again.") from exc
    storage = private_storage_get()
    try:
        arrived = storage.exists(upload["name"])
        stored = storage.size(upload["name"]) if arrived else 0
    except STORAGE_UNAVAILABLE as exc:
        logger.exception("Direct upload check of %s: the storage cannot be reached", upload["name"])
        raise DirectUploadError(
            "The storage cannot be reached just now, so nothing was saved; your upload is kept. "
            "Please press Save again in a minute."
        ) from exc
    if not arrived:
        raise DirectUploadError("The file did not reach the storage; please upload it again.")
    if stored != upload["size"]:
        raise DirectUploadError(
            f"Only {stored} of {upload['size']} bytes arrived; please upload the file again."
        )
    return upload


def program_file_attach_upload(*, program_file: ProgramFile, upload: dict) -> ProgramFile:
    """Make a verified direct upload the file of ``program_file``, its checksum left empty:
    reading several GB back takes longer than a request may, so the caller has it computed
    in the background (``tasks.program_file_checksum_later``)."""
    old_name = None
    if program_file.pk:
        old_name = (
            ProgramFile.objects.filter(pk=program_file.pk).values_list("file", flat=True).first()
        )
    program_file.file.name = upload["name"]
    program_file.original_filename = upload["filename"].rsplit("/", 1)[-1][:255]
    # Only the kind can be told without reading the object back; the background checksum
    # measures length and pages (program_file_checksum_record).
    program_file.kind = kind_of(content_type_of(program_file.original_filename))
    program_file.size_bytes = upload["size"]
    program_file.sha256 = ""
    program_file.uploaded_at = timezone.now()
    program_file.save()
    storage = program_file.file.storage
    if old_name and old_name != upload["name"]:
        transaction.on_commit(lambda: storage.delete(old_name))
    return program_file


def program_file_save(
    *,
    program_file: ProgramFile,
    upload=None,
    direct_upload: dict | None = None,
    filename_typed: bool = False,
    captions_remove: bool = False,
) -> ProgramFile:
    """Save the author's changes to ``program_file``, new or not: with a new file sent
    through the server (``upload``) or straight to the bucket (``direct_upload``, verified
    by ``direct_upload_verify``; its checksum is computed in the background), or with its
    fields only. ``filename_typed``: the author typed the download name, which a new file
    then keeps. ``captions_remove``: the captions go, and their stored object once saved."""
    if direct_upload:
        program_file_attach_upload(program_file=program_file, upload=direct_upload)
        # Imported here: the background jobs import this module.
        from shop.downloads.tasks import program_file_checksum_later

        program_file_checksum_later(program_file=program_file)
    elif upload:
        if filename_typed and program_file.original_filename:
            chosen_name = program_file.original_filename
            program_file_store(program_file=program_file, upload=upload)
            program_file.original_filename = chosen_name
            program_file.save(update_fields=["original_filename"])
        else:
            program_file.original_filename = ""
            program_file_store(program_file=program_file, upload=upload)
    else:
        program_file.save()
    if captions_remove and program_file.captions:
        old_captions = program_file.captions.name
        program_file.captions = ""
        program_file.save(update_fields=["captions"])
        storage = program_file.file.storage
        transaction.on_commit(lambda: storage.delete(old_captions))
    return program_file


# Reading a stored object back to measure it copies it whole to a temporary file first;
# past this size the author types the length in instead.
FACTS_READ_BACK_MAX_BYTES = 500 * 1024**2


def program_file_checksum_record(*, program_file_id: int, name: str) -> str | None:
    """Read a stored file back in chunks and record its SHA-256, unless the file was
    replaced meanwhile; then measure its length or pages where the author left them empty.
    Returns the checksum recorded, if any."""
    digest = hashlib.sha256()
    with private_storage_get().open(name, "rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
    updated = ProgramFile.objects.filter(pk=program_file_id, file=name).update(
        sha256=digest.hexdigest()
    )
    if updated:
        _facts_read_back(program_file_id=program_file_id, name=name)
    return digest.hexdigest() if updated else None


def _facts_read_back(*, program_file_id: int, name: str) -> None:
    program_file = ProgramFile.objects.get(pk=program_file_id)
    measurable = program_file.kind in (FileKind.BOOK, FileKind.AUDIO, FileKind.VIDEO)
    if not measurable or program_file.size_bytes > FACTS_READ_BACK_MAX_BYTES:
        return
    with private_storage_get().open(name, "rb") as handle:
        facts = file_facts_measure(upload=handle, filename=program_file.download_name)
    same_file = ProgramFile.objects.filter(pk=program_file_id, file=name)
    if facts.duration_seconds is not None:
        same_file.filter(duration_seconds__isnull=True).update(
            duration_seconds=facts.duration_seconds
        )
    if facts.page_count is not None:
        same_file.filter(page_count__isnull=True).update(page_count=facts.page_count)
