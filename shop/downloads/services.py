"""Program files in and out: storing an upload with its size and checksum, and recording
each download against the daily limit."""

import hashlib
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from shop.downloads.models import DownloadGrant, DownloadLimit, DownloadLog, ProgramFile

CHUNK_SIZE = 1024 * 1024


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


def program_file_store(*, program_file: ProgramFile, upload) -> ProgramFile:
    """Save ``upload`` as the file of ``program_file`` (new or replaced). The row keeps its
    id, so customers' links go on working; the replaced object is deleted once saved."""
    size, sha256 = upload_fingerprint(upload=upload)
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


def download_limit_for(*, grant: DownloadGrant) -> int | None:
    """Downloads a day for this grant: its own number, else the product's, else none."""
    if grant.downloads_per_day is not None:
        return grant.downloads_per_day
    limit = DownloadLimit.objects.filter(product_id=grant.product_id).first()
    return limit.downloads_per_day if limit else None


def downloads_today_count(*, user, product_id: int, at: datetime) -> int:
    """Downloads started (not resumed) by ``user`` of a product's files in the last 24 h."""
    return DownloadLog.objects.filter(
        user=user, product_id=product_id, resumed=False, downloaded_at__gt=at - timedelta(days=1)
    ).count()


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
) -> DownloadLog:
    """Log one download request."""
    return DownloadLog.objects.create(
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
