"""What a customer may download, read from grants and program files."""

from dataclasses import dataclass, field
from datetime import datetime

from shop.downloads.access import grant_allows_download
from shop.downloads.models import DownloadGrant, DownloadLog, PlaybackPosition, ProgramFile


@dataclass
class ProductDownloads:
    product: object
    allowed: bool
    reason: str
    grant: DownloadGrant | None
    files: list[ProgramFile] = field(default_factory=list)


def download_grant_for(*, user, product_id: int, at: datetime) -> DownloadGrant | None:
    """The grant that lets ``user`` download the product's files now, if any."""
    for grant in DownloadGrant.objects.filter(user=user, product_id=product_id):
        if grant_allows_download(grant, at)[0]:
            return grant
    return None


def downloads_for_user(*, user, at: datetime) -> list[ProductDownloads]:
    """Each product the customer ever had access to: its files when access is open, the
    reason in plain words when it has ended."""
    by_product: dict[int, ProductDownloads] = {}
    grants = DownloadGrant.objects.filter(user=user).select_related("product")
    for grant in grants:
        allowed, reason = grant_allows_download(grant, at)
        entry = by_product.get(grant.product_id)
        if entry is None:
            by_product[grant.product_id] = ProductDownloads(
                product=grant.product, allowed=allowed, reason=reason, grant=grant
            )
        elif allowed and not entry.allowed:
            entry.allowed, entry.reason, entry.grant = True, "", grant
    files = ProgramFile.objects.filter(product_id__in=by_product).order_by("sort_order", "pk")
    for program_file in files:
        entry = by_product[program_file.product_id]
        if entry.allowed:
            entry.files.append(program_file)
    return list(by_product.values())


def program_for_customer(*, user, at: datetime) -> list[ProductDownloads]:
    """What "My program" shows: each product with its files as ``downloads_for_user`` gives
    them, each file carrying ``resume_at``, the seconds where the customer stopped playing
    it (0 when never played). Three queries, however many files."""
    entries = downloads_for_user(user=user, at=at)
    files = [program_file for entry in entries for program_file in entry.files]
    positions = dict(
        PlaybackPosition.objects.filter(user=user, program_file__in=files).values_list(
            "program_file_id", "seconds"
        )
    )
    for program_file in files:
        program_file.resume_at = positions.get(program_file.pk, 0)
    return entries


def program_contents(*, product) -> list[ProgramFile]:
    """A product's files as anyone may see them listed (no account data), in one query."""
    return list(
        ProgramFile.objects.filter(product=product)
        .only(
            "pk",
            "product_id",
            "title",
            "description",
            "kind",
            "duration_seconds",
            "page_count",
            "size_bytes",
        )
        .order_by("sort_order", "pk")
    )


def downloads_and_plays(*, user_id: int, product_id: int, limit: int = 50) -> list[DownloadLog]:
    """A customer's newest downloads and plays of a product (``limit`` of them), for the
    back office: one query, the file's title kept on each row."""
    return list(
        DownloadLog.objects.filter(user_id=user_id, product_id=product_id).order_by(
            "-downloaded_at", "-pk"
        )[:limit]
    )
