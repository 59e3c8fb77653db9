"""Oscar's "no picture" placeholder, kept where the product thumbnails are made from.

A product without pictures shows ``OSCAR_MISSING_IMAGE_URL`` (Oscar's image_not_found.jpg),
which sorl-thumbnail reads from media storage to make the thumbnail. Oscar only symlinks it
into a local ``MEDIA_ROOT``; on S3 nothing puts it there, so the thumbnail's URL answers 404.
``manage.py missing_product_image`` (in the release phase) uploads it once.
"""

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.core.files.storage import Storage, default_storage


def missing_product_image_upload(*, storage: Storage | None = None) -> bool:
    """Copy Oscar's placeholder picture into media storage under its fixed name, unless it
    is there already. Returns whether it was copied."""
    storage = storage or default_storage
    name = settings.OSCAR_MISSING_IMAGE_URL
    if storage.exists(name):
        return False
    source = finders.find(f"oscar/img/{name}")
    if source is None:
        raise ImproperlyConfigured(
            f"OSCAR_MISSING_IMAGE_URL is {name!r}, but no static file oscar/img/{name} exists."
        )
    with open(source, "rb") as picture:
        # _save, not save: the storage gives every new file a fresh name, and Oscar looks
        # the placeholder up by this one.
        storage._save(name, File(picture, name=name))
    return True
