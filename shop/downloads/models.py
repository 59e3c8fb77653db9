import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from media_config.storages import private_storage_get


class DownloadGrant(models.Model):
    """A customer's right to download a product's files, and until when."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="download_grants"
    )
    product = models.ForeignKey("catalogue.Product", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(
        "order.Order", on_delete=models.PROTECT, related_name="download_grants"
    )
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty while the order entitles the customer for good."
    )
    ended_reason = models.CharField(max_length=200, blank=True)
    # Set by the order's payment plan, whose reason is the customer's whole sentence; any
    # other reason (the author's, a deleted account's) is followed by the day access ended.
    ended_by_plan = models.BooleanField(default=False, editable=False)
    downloads_per_day = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="For this customer only; empty to use the product's download limit.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["order", "product"], name="one_grant_per_order_product")
        ]

    def __str__(self):
        return f"{self.user} → {self.product} (order {self.order_id})"

    def is_active(self, at=None) -> bool:
        at = at or timezone.now()
        return self.starts_at <= at and (self.ends_at is None or at < self.ends_at)


def program_file_upload_to(instance: "ProgramFile", filename: str) -> str:
    # A random folder per upload: storage paths cannot be guessed, and replacing a file
    # never overwrites another one.
    return f"program/{instance.product_id}/{uuid.uuid4().hex}/{filename}"


def program_captions_upload_to(instance: "ProgramFile", filename: str) -> str:
    return f"program/{instance.product_id}/captions/{uuid.uuid4().hex}/{filename}"


class FileKind(models.TextChoices):
    """What a program file is to the customer, from its content type."""

    BOOK = "book", "Book (PDF)"
    AUDIO = "audio", "Audio"
    VIDEO = "video", "Video"
    OTHER = "other", "Other"


class ProgramFile(models.Model):
    """One file of a program (the book, an audio or video session), in private storage.

    Customers' links use this row's id, so a replaced file keeps every link working."""

    product = models.ForeignKey(
        "catalogue.Product", on_delete=models.PROTECT, related_name="program_files"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    file = models.FileField(
        storage=private_storage_get, upload_to=program_file_upload_to, max_length=500
    )
    original_filename = models.CharField(
        max_length=255, blank=True, help_text="The name customers' downloads are saved under."
    )
    size_bytes = models.PositiveBigIntegerField(default=0, editable=False)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True, editable=False)
    sort_order = models.PositiveIntegerField(
        default=0, help_text="Files are listed from the lowest number up."
    )
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)
    kind = models.CharField(
        max_length=10,
        choices=FileKind,
        default=FileKind.OTHER,
        help_text="Set from the file's type at upload; change it if it is wrong.",
    )
    duration_seconds = models.PositiveIntegerField(
        "length (seconds)",
        null=True,
        blank=True,
        help_text="Of audio and video. Measured at upload where the format allows; "
        "otherwise type it in.",
    )
    page_count = models.PositiveIntegerField(
        "pages",
        null=True,
        blank=True,
        help_text="Of a PDF. Counted at upload; otherwise type it in.",
    )
    captions = models.FileField(
        storage=private_storage_get,
        upload_to=program_captions_upload_to,
        max_length=500,
        blank=True,
        help_text="Captions for audio or video, as a WebVTT (.vtt) file.",
    )
    transcript = models.TextField(
        blank=True, help_text="The words of the lesson, shown under the player."
    )

    class Meta:
        ordering = ["product", "sort_order", "pk"]
        verbose_name = "program file"

    def __str__(self):
        return self.title

    @property
    def playable(self) -> bool:
        return self.kind in (FileKind.AUDIO, FileKind.VIDEO)

    @property
    def download_name(self) -> str:
        return self.original_filename or self.file.name.rsplit("/", 1)[-1]


class DownloadLimit(models.Model):
    """How many downloads a day each customer may start for a product's files."""

    product = models.OneToOneField(
        "catalogue.Product", on_delete=models.CASCADE, related_name="download_limit"
    )
    downloads_per_day = models.PositiveSmallIntegerField(
        help_text="Per customer and product, counted over the last 24 hours. "
        "Resumed downloads (a video jumping ahead, a broken download continued) do not count."
    )

    class Meta:
        verbose_name = "download limit"

    def __str__(self):
        return f"{self.product}: {self.downloads_per_day} a day"


class DownloadKind(models.TextChoices):
    DOWNLOAD = "download", "Download"
    # A stream opened by the player in "My program": logged, never counted against the limit.
    PLAY = "play", "Play"


class DownloadLog(models.Model):
    """One download request, or one play started: who, which file, when and from where."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="download_logs"
    )
    program_file = models.ForeignKey(
        ProgramFile, null=True, on_delete=models.SET_NULL, related_name="download_logs"
    )
    grant = models.ForeignKey(
        DownloadGrant, null=True, on_delete=models.SET_NULL, related_name="download_logs"
    )
    product = models.ForeignKey("catalogue.Product", on_delete=models.PROTECT, related_name="+")
    file_title = models.CharField(max_length=200)
    downloaded_at = models.DateTimeField(default=timezone.now, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    byte_range = models.CharField(max_length=100, blank=True)
    resumed = models.BooleanField(
        default=False, help_text="A range request starting past the beginning of the file."
    )
    kind = models.CharField(max_length=10, choices=DownloadKind, default=DownloadKind.DOWNLOAD)

    class Meta:
        ordering = ["-downloaded_at", "-pk"]

    def __str__(self):
        return f"{self.user} downloaded {self.file_title} at {self.downloaded_at:%Y-%m-%d %H:%M}"


class PlaybackPosition(models.Model):
    """Where a customer stopped in an audio or video file, so another device resumes there."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="playback_positions"
    )
    program_file = models.ForeignKey(
        ProgramFile, on_delete=models.CASCADE, related_name="playback_positions"
    )
    seconds = models.FloatField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "program_file"], name="one_position_per_user_file"
            )
        ]

    def __str__(self):
        return f"{self.user} at {self.seconds:.0f} s of {self.program_file}"
