"""Storage settings in one place, read from the environment.

Two kinds of files:
- ``default``: public media (Wagtail images and documents);
- ``private``: the program files customers download; never public, only presigned.

Both are local folders unless ``AWS_STORAGE_BUCKET_NAME`` is set, then both live in S3
(or an S3-compatible service via ``AWS_S3_ENDPOINT_URL``) under separate prefixes, or in a
separate bucket for private files when ``AWS_PRIVATE_BUCKET_NAME`` is set.
"""

from pathlib import Path

import environ


def storages_from_env(
    env: environ.Env, *, media_root: Path, private_root: Path, static_backend: str
) -> dict:
    """Return ``STORAGES`` plus the ``AWS_*`` settings django-storages reads."""
    bucket = env("AWS_STORAGE_BUCKET_NAME", default="")
    # Read by our own S3 storages (media_config.storages) whichever storages are configured,
    # so they are always defined.
    settings: dict = {
        "AWS_PRIVATE_BUCKET_NAME": env("AWS_PRIVATE_BUCKET_NAME", default=bucket),
        # botocore waits 60 s to connect and 60 s per read, five times over: a customer's
        # click would hang for minutes when S3 is down. These fail within seconds and
        # let the page say so (see media_config.storages.TimeLimitedS3Storage).
        "AWS_S3_CONNECT_TIMEOUT": env.float("AWS_S3_CONNECT_TIMEOUT", default=3),
        "AWS_S3_READ_TIMEOUT": env.float("AWS_S3_READ_TIMEOUT", default=20),
        "AWS_S3_MAX_ATTEMPTS": env.int("AWS_S3_MAX_ATTEMPTS", default=2),
    }
    if bucket:
        settings.update(
            AWS_STORAGE_BUCKET_NAME=bucket,
            AWS_S3_REGION_NAME=env("AWS_S3_REGION_NAME", default="us-east-1"),
            AWS_S3_ENDPOINT_URL=env("AWS_S3_ENDPOINT_URL", default=None),
            AWS_S3_ADDRESSING_STYLE=env("AWS_S3_ADDRESSING_STYLE", default="auto"),
            AWS_S3_SIGNATURE_VERSION="s3v4",
            AWS_ACCESS_KEY_ID=env("AWS_ACCESS_KEY_ID", default=None),
            AWS_SECRET_ACCESS_KEY=env("AWS_SECRET_ACCESS_KEY", default=None),
            # Objects inherit the bucket's policy: nothing is made public by an ACL.
            AWS_DEFAULT_ACL=None,
            AWS_S3_FILE_OVERWRITE=False,
            AWS_QUERYSTRING_EXPIRE=env.int("AWS_QUERYSTRING_EXPIRE", default=300),
            AWS_S3_CUSTOM_DOMAIN=env("AWS_S3_CUSTOM_DOMAIN", default=None),
        )
        storages = {
            "default": {"BACKEND": "media_config.storages.PublicMediaS3Storage"},
            "private": {"BACKEND": "media_config.storages.PrivateS3Storage"},
        }
    else:
        storages = {
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(media_root), "base_url": "/media/"},
            },
            "private": {
                # No base_url: private files are only ever served through our own views.
                "BACKEND": "media_config.storages.PrivateFileSystemStorage",
                "OPTIONS": {"location": str(private_root)},
            },
        }
    storages["staticfiles"] = {"BACKEND": static_backend}
    settings["STORAGES"] = storages
    return settings
