"""Storage classes. S3 options are class attributes so that code which builds a storage
without ``STORAGES[...]["OPTIONS"]`` (sorl-thumbnail does) still reaches the right place."""

import posixpath

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty
from storages.backends.s3 import S3Storage

# What a storage raises when it cannot be reached or answers with an error: S3 timeouts,
# refused connections and 5xx answers, or a local disk that fails.
STORAGE_UNAVAILABLE = (BotoCoreError, ClientError, OSError)


class TimeLimitedS3Storage(S3Storage):
    """An S3 storage that gives up within seconds (``AWS_S3_CONNECT_TIMEOUT``,
    ``AWS_S3_READ_TIMEOUT``, ``AWS_S3_MAX_ATTEMPTS``) instead of botocore's minutes."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Merged into whatever client config the settings built, so addressing style and
        # signature version stay as configured.
        self.client_config = self.client_config.merge(
            Config(
                connect_timeout=settings.AWS_S3_CONNECT_TIMEOUT,
                read_timeout=settings.AWS_S3_READ_TIMEOUT,
                retries={"mode": "standard", "total_max_attempts": settings.AWS_S3_MAX_ATTEMPTS},
            )
        )


# A year, and never revalidated: every object's name is new (PublicMediaS3Storage), so what
# a URL points at never changes.
PUBLIC_MEDIA_CACHE_CONTROL = "public, max-age=31536000, immutable"


# Where pictures live under ``media/``: Wagtail's originals and renditions, and the shop's
# product images with their thumbnails. Only these are public; anything else under media/
# (Wagtail documents, which the CMS may keep in a private collection) stays signed.
PUBLIC_MEDIA_PREFIXES = ("original_images/", "images/", "cache/")


def media_is_public(name: str) -> bool:
    return name.lstrip("/").startswith(PUBLIC_MEDIA_PREFIXES)


class PublicMediaS3Storage(TimeLimitedS3Storage):
    """Wagtail images, their renditions, and documents under ``media/``. Pictures are read
    by anyone (the bucket policy of ``manage.py media_bucket_policy``) from plain URLs on the
    bucket or on ``AWS_S3_CUSTOM_DOMAIN`` (a CDN): a page holding them can be cached as long as
    it likes, and browsers and CDNs keep them a year. Documents, and everything when program
    files share the bucket, get short-lived signed links from the bucket itself."""

    location = "media"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # A bucket that also holds program files gets no public policy (media_bucket_policy
        # refuses it; production asks ALLOW_SHARED_MEDIA_BUCKET): its media stay signed.
        private_bucket = settings.AWS_PRIVATE_BUCKET_NAME or self.bucket_name
        self.shared_with_program_files = private_bucket == self.bucket_name
        self.querystring_auth = self.shared_with_program_files
        self._signing = None

    def url(self, name, parameters=None, expire=None, http_method=None):
        if self.shared_with_program_files or media_is_public(name):
            return super().url(name, parameters, expire, http_method)
        # A CDN domain would hand the object out unsigned: signed links come from the bucket.
        if self._signing is None:
            self._signing = TimeLimitedS3Storage(
                location=self.location, querystring_auth=True, custom_domain=None
            )
        return self._signing.url(name, parameters, expire, http_method)

    def get_object_parameters(self, name):
        params = super().get_object_parameters(name)
        params.setdefault("CacheControl", PUBLIC_MEDIA_CACHE_CONTROL)
        return params

    def get_available_name(self, name, max_length=None):
        # Names are never reused, even after a delete: a rendition's name is the original's,
        # cut to 59 characters, plus its filter, so a replaced or re-uploaded image would
        # otherwise get an old name whose copy browsers and CDNs keep for a year.
        # sorl-thumbnail finds its thumbnails by their computed names (unique per source).
        if not name.startswith(settings.THUMBNAIL_PREFIX):
            directory, file_name = posixpath.split(name)
            root, ext = posixpath.splitext(file_name)
            name = posixpath.join(directory, self.get_alternative_name(root, ext))
        return super().get_available_name(name, max_length)


class PrivateS3Storage(TimeLimitedS3Storage):
    """Program files: private objects, reached only through short-lived presigned URLs."""

    location = "private"
    default_acl = None
    querystring_auth = True
    custom_domain = None  # a CDN domain would bypass signing

    def get_default_settings(self):
        defaults = super().get_default_settings()
        defaults["bucket_name"] = settings.AWS_PRIVATE_BUCKET_NAME or defaults["bucket_name"]
        return defaults


class PrivateFileSystemStorage(FileSystemStorage):
    """Program files on local disk. Has no URL: our download view streams them."""

    def url(self, name):
        raise NotImplementedError("Private files have no public URL; use the download view.")


class _PrivateStorage(LazyObject):
    # Resolved on first use, not at import: a model field keeps whatever its storage
    # callable returns, and settings (or tests) may switch between disk and S3 later.
    def _setup(self):
        self._wrapped = storages["private"]


private_storage = _PrivateStorage()


def private_storage_get():
    """The storage of program files (``STORAGES["private"]``), for ``FileField(storage=...)``."""
    return private_storage


def storage_is_s3(storage) -> bool:
    """Whether a storage keeps its files in an S3 bucket (and can presign URLs)."""
    return isinstance(storage, S3Storage)


@receiver(setting_changed)
def _private_storage_reset(*, setting, **kwargs):
    if setting == "STORAGES" or setting.startswith("AWS_"):
        private_storage._wrapped = empty
        if setting != "STORAGES":
            # S3 storages read AWS_* when built: build them again on next use.
            storages._storages = {}
            default_storage._wrapped = empty
