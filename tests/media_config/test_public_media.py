"""Public media against moto's S3 server: plain URLs (bucket or CDN domain), a year of
caching, names never reused, and the bucket policy that lets anyone read media/ only."""

import json
from io import BytesIO, StringIO
from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.request import urlopen

import pytest
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.core.files.storage import storages
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image as PILImage
from wagtail.images.models import Image

from media_config.storages import PUBLIC_MEDIA_CACHE_CONTROL, private_storage_get
from tests.support.s3 import s3_client

PRIVATE_BUCKET = "backcare-private-test"

pytestmark = pytest.mark.slow


@pytest.fixture
def separate_buckets(s3_storages, settings):
    """Program files in their own private bucket, as production requires."""
    s3_client(s3_storages).create_bucket(Bucket=PRIVATE_BUCKET)
    settings.AWS_PRIVATE_BUCKET_NAME = PRIVATE_BUCKET
    return s3_storages


def jpeg_bytes(width=320, height=200) -> bytes:
    buffer = BytesIO()
    PILImage.new("RGB", (width, height), (180, 90, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def status_and_cache_control(url: str) -> tuple[int, str | None]:
    try:
        with urlopen(url, timeout=10) as response:  # noqa: S310 (loopback stand-in)
            return response.status, response.headers.get("Cache-Control")
    except HTTPError as refused:
        return refused.code, None


def test_public_media_urls_are_unsigned_and_cached_for_a_year(separate_buckets, s3_bucket):
    storage = storages["default"]
    name = storage.save("images/cover.jpg", ContentFile(b"jpeg"))

    url = storage.url(name)

    assert urlsplit(url).query == ""
    assert url == f"{separate_buckets}/{s3_bucket}/media/{name}"
    head = s3_client(separate_buckets).head_object(Bucket=s3_bucket, Key=f"media/{name}")
    assert (
        head["CacheControl"]
        == PUBLIC_MEDIA_CACHE_CONTROL
        == ("public, max-age=31536000, immutable")
    )


def test_documents_stay_signed_and_outside_the_public_policy(separate_buckets, s3_bucket):
    """A document may sit in a collection the CMS keeps private: Wagtail checks that before
    it redirects to the file, so the file's own link must expire and the policy must not
    open it to readers."""
    storage = storages["default"]
    name = storage.save("documents/handout.pdf", ContentFile(b"%PDF-1.4"))

    query = urlsplit(storage.url(name)).query
    call_command("media_bucket_policy", "--apply", stdout=StringIO())

    assert "X-Amz-Signature=" in query and "X-Amz-Expires=300" in query
    unsigned = f"{separate_buckets}/{s3_bucket}/media/{name}"
    assert status_and_cache_control(unsigned)[0] == 403


def test_documents_are_signed_even_with_a_cdn_domain(separate_buckets, settings):
    settings.AWS_S3_CUSTOM_DOMAIN = "media.example.org"
    storage = storages["default"]

    image_url = storage.url("images/cover.jpg")
    document_url = storage.url("documents/handout.pdf")

    assert image_url == "https://media.example.org/media/images/cover.jpg"
    assert urlsplit(document_url).netloc != "media.example.org"
    assert "X-Amz-Signature=" in urlsplit(document_url).query


def test_program_files_stay_signed_and_uncached(separate_buckets):
    storage = private_storage_get()
    name = storage.save("program/book.pdf", ContentFile(b"%PDF"))

    assert "X-Amz-Signature" in storage.url(name)
    head = s3_client(separate_buckets).head_object(Bucket=PRIVATE_BUCKET, Key=f"private/{name}")
    assert "CacheControl" not in head


def test_media_in_a_bucket_shared_with_program_files_stay_signed(s3_storages, s3_bucket):
    # Such a bucket gets no public policy, so an unsigned link would be refused.
    storage = storages["default"]
    name = storage.save("images/cover.jpg", ContentFile(b"jpeg"))

    url = storage.url(name)

    assert "X-Amz-Signature" in url
    assert status_and_cache_control(url) == (200, PUBLIC_MEDIA_CACHE_CONTROL)


def test_media_come_from_the_cdn_domain_and_program_files_do_not(separate_buckets, settings):
    settings.AWS_S3_CUSTOM_DOMAIN = "media.example.com"
    media = storages["default"]
    name = media.save("images/cover.jpg", ContentFile(b"jpeg"))
    private = private_storage_get()
    private_name = private.save("program/book.pdf", ContentFile(b"%PDF"))

    assert media.url(name) == f"https://media.example.com/media/{name}"
    assert urlsplit(private.url(private_name)).netloc == urlsplit(separate_buckets).netloc


def test_a_name_is_never_used_twice_even_after_a_delete(s3_storages):
    # A URL cached as immutable must never show other content.
    storage = storages["default"]
    first = storage.save("original_images/cover.jpg", ContentFile(b"one"))
    storage.delete(first)
    second = storage.save("original_images/cover.jpg", ContentFile(b"two"))

    assert first != second
    assert first.startswith("original_images/cover_") and first.endswith(".jpg")


def test_thumbnails_keep_the_names_they_are_looked_up_by(s3_storages):
    # sorl-thumbnail (Oscar's product images) finds a thumbnail again by its computed name.
    name = "cache/ab/cd/abcdef0123.jpg"

    assert storages["default"].save(name, ContentFile(b"thumb")) == name


@pytest.mark.django_db
def test_a_rendition_is_readable_unsigned_once_the_policy_is_applied(separate_buckets):
    image = Image.objects.create(
        title="Cover", file=ImageFile(BytesIO(jpeg_bytes()), name="cover.jpg")
    )
    rendition = image.get_rendition("fill-160x100|format-webp")
    private_name = private_storage_get().save("program/book.pdf", ContentFile(b"%PDF"))
    unsigned_private = f"{separate_buckets}/{PRIVATE_BUCKET}/private/{private_name}"

    assert urlsplit(rendition.url).query == ""
    assert rendition.url.endswith(".webp")
    assert status_and_cache_control(rendition.url)[0] == 403

    out = StringIO()
    call_command("media_bucket_policy", "--apply", stdout=out)

    assert status_and_cache_control(rendition.url) == (200, PUBLIC_MEDIA_CACHE_CONTROL)
    assert status_and_cache_control(image.file.url) == (200, PUBLIC_MEDIA_CACHE_CONTROL)
    # Program files: still nothing without a signature.
    assert status_and_cache_control(unsigned_private)[0] == 403
    assert "backcare-test/media/images/*" in out.getvalue()
    assert "backcare-test/media/original_images/*" in out.getvalue()


def test_the_policy_allows_reading_media_only(separate_buckets, s3_bucket):
    client = s3_client(separate_buckets)
    other = {"Sid": "Deploy", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket"}
    other["Resource"] = f"arn:aws:s3:::{s3_bucket}"
    client.put_bucket_policy(
        Bucket=s3_bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [other]})
    )

    call_command("media_bucket_policy", "--apply", stdout=StringIO())
    call_command("media_bucket_policy", "--apply", stdout=StringIO())

    statements = json.loads(client.get_bucket_policy(Bucket=s3_bucket)["Policy"])["Statement"]
    assert other in statements
    public = [s for s in statements if s.get("Sid") == "PublicReadMedia"]
    assert public == [
        {
            "Sid": "PublicReadMedia",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": [
                f"arn:aws:s3:::{s3_bucket}/media/original_images/*",
                f"arn:aws:s3:::{s3_bucket}/media/images/*",
                f"arn:aws:s3:::{s3_bucket}/media/cache/*",
            ],
        }
    ]
    with pytest.raises(client.exceptions.ClientError):
        client.get_bucket_policy(Bucket=PRIVATE_BUCKET)


def test_the_policy_is_only_shown_without_apply(separate_buckets, s3_bucket):
    out = StringIO()
    call_command("media_bucket_policy", stdout=out)

    assert "PublicReadMedia" in out.getvalue()
    assert "Not applied" in out.getvalue()
    with pytest.raises(s3_client(separate_buckets).exceptions.ClientError):
        s3_client(separate_buckets).get_bucket_policy(Bucket=s3_bucket)


def test_the_policy_is_refused_when_program_files_share_the_bucket(s3_storages, s3_bucket):
    with pytest.raises(CommandError, match="AWS_PRIVATE_BUCKET_NAME"):
        call_command("media_bucket_policy", "--apply", stdout=StringIO())

    with pytest.raises(s3_client(s3_storages).exceptions.ClientError):
        s3_client(s3_storages).get_bucket_policy(Bucket=s3_bucket)


def test_storage_check_reads_media_as_a_visitor_would(separate_buckets):
    err = StringIO()
    with pytest.raises(CommandError, match="default"):
        call_command("storage_check", "default", stdout=StringIO(), stderr=err)
    assert "media_bucket_policy --apply" in err.getvalue()

    call_command("media_bucket_policy", "--apply", stdout=StringIO())
    out = StringIO()
    call_command("storage_check", stdout=out, stderr=StringIO())

    assert "default (PublicMediaS3Storage, backcare-test): OK" in out.getvalue()
    assert "public read" in out.getvalue()
    assert f"private (PrivateS3Storage, {PRIVATE_BUCKET}): OK" in out.getvalue()
