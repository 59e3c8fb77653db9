"""Oscar's placeholder for products without pictures reaches S3 (moto's server), where Oscar's
own local symlink cannot put it, so such a product's thumbnail is found instead of a 404."""

import re
from decimal import Decimal
from io import StringIO
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import storages
from django.core.management import call_command
from django.utils.functional import empty
from oscar.test.factories import create_product
from sorl.thumbnail.default import storage as thumbnail_storage

from media_config.missing_product_image import missing_product_image_upload

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

THUMBNAIL = re.compile(r'<img src="([^"]+/cache/[^"]+)"')


def status_of(url: str) -> int:
    try:
        with urlopen(url, timeout=10) as response:  # noqa: S310 (loopback stand-in)
            return response.status
    except HTTPError as refused:
        return refused.code


@pytest.fixture(autouse=True)
def no_remembered_thumbnails():
    # sorl-thumbnail remembers the thumbnails it made in the cache; each test starts afresh.
    cache.clear()
    yield
    cache.clear()


def test_the_placeholder_is_uploaded_once_under_its_own_name(s3_storages):
    storage = storages["default"]
    name = settings.OSCAR_MISSING_IMAGE_URL
    assert not storage.exists(name)

    out = StringIO()
    call_command("missing_product_image", stdout=out)

    assert storage.exists(name)
    assert "uploaded" in out.getvalue()
    assert missing_product_image_upload() is False


@pytest.fixture
def thumbnails_on_s3(s3_storages, settings):
    # sorl-thumbnail takes its storage from STORAGES once, at import; production has S3 then.
    settings.THUMBNAIL_STORAGE = settings.STORAGES["default"]["BACKEND"]
    thumbnail_storage._wrapped = empty
    yield s3_storages
    thumbnail_storage._wrapped = empty


def test_a_product_without_pictures_shows_a_thumbnail_that_exists(client, thumbnails_on_s3):
    call_command("missing_product_image", stdout=StringIO())
    # A program's page shows no placeholder at all; a product sold outright keeps Oscar's.
    recording = create_product(title="Webinar recording", price=Decimal("49.00"), num_in_stock=None)
    assert not recording.images.exists()

    page = client.get(recording.get_absolute_url())

    assert page.status_code == 200
    thumbnail = THUMBNAIL.search(page.content.decode())
    assert thumbnail, "the product page shows no thumbnail"
    assert status_of(thumbnail.group(1).replace("&amp;", "&")) == 200
