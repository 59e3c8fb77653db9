"""Storage classes. S3 options are class attributes so that code which builds a storage
without ``STORAGES[...]["OPTIONS"]`` (sorl-thumbnail does) still reaches the right place."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
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
