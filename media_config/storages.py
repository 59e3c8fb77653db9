"""Storage classes. S3 options are class attributes so that code which builds a storage
without ``STORAGES[...]["OPTIONS"]`` (sorl-thumbnail does) still reaches the right place."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty
from storages.backends.s3 import S3Storage


class PublicMediaS3Storage(S3Storage):
    """Wagtail images and documents."""

    location = "media"


class PrivateS3Storage(S3Storage):
    """Program files: private objects, reached only through short-lived presigned URLs."""

    location = "private"
    default_acl = None
    querystring_auth = True
    custom_domain = None  # a CDN domain would bypass signing

    def get_default_settings(self):
        defaults = super().get_default_settings()
        defaults["bucket_name"] = getattr(
            settings, "AWS_PRIVATE_BUCKET_NAME", defaults["bucket_name"]
        )
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
