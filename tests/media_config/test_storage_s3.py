"""Storages against moto's S3 server over HTTP: private objects, presigned links, the check."""

from io import StringIO
from urllib.error import HTTPError
from urllib.parse import parse_qs, urlsplit
from urllib.request import urlopen

import pytest
from botocore.exceptions import ClientError, NoCredentialsError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command
from django.core.management.base import CommandError

from media_config.checks import storage_error_explain
from media_config.storages import PrivateS3Storage, private_storage_get
from tests.support.s3 import s3_client


@pytest.mark.slow
def test_private_files_upload_list_and_presign(s3_storages, s3_bucket):
    storage = private_storage_get()
    name = storage.save("program/book.pdf", ContentFile(b"%PDF-1.7 the book"))

    assert isinstance(storage, PrivateS3Storage)
    keys = [
        obj["Key"] for obj in s3_client(s3_storages).list_objects_v2(Bucket=s3_bucket)["Contents"]
    ]
    assert keys == [f"private/{name}"]
    assert storage.listdir("program") == ([], ["book.pdf"])

    url = storage.url(
        name,
        parameters={"ResponseContentDisposition": 'attachment; filename="The Book.pdf"'},
    )
    query = parse_qs(urlsplit(url).query)
    assert int(query["X-Amz-Expires"][0]) <= 300
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["response-content-disposition"] == ['attachment; filename="The Book.pdf"']
    with urlopen(url, timeout=10) as response:
        assert response.read() == b"%PDF-1.7 the book"
        assert response.headers["Content-Disposition"] == 'attachment; filename="The Book.pdf"'


@pytest.mark.slow
def test_a_private_object_is_not_readable_without_a_signature(s3_storages):
    storage = private_storage_get()
    name = storage.save("program/session-1.mp3", ContentFile(b"audio"))
    unsigned = f"{s3_storages}/{storage.bucket_name}/private/{name}"

    with pytest.raises(HTTPError) as refused:
        urlopen(unsigned, timeout=10)
    assert refused.value.code == 403


@pytest.mark.slow
def test_public_media_and_private_files_are_kept_apart(s3_storages, s3_bucket):
    media = storages["default"].save("images/cover.jpg", ContentFile(b"jpeg"))
    private_storage_get().save("program/book.pdf", ContentFile(b"pdf"))

    keys = sorted(
        obj["Key"] for obj in s3_client(s3_storages).list_objects_v2(Bucket=s3_bucket)["Contents"]
    )
    assert keys == [f"media/{media}", "private/program/book.pdf"]
    assert media.startswith("images/cover_")


@pytest.mark.slow
def test_storage_check_passes_against_the_bucket(s3_storages, s3_bucket):
    # One bucket for media and program files: both are presigned (no public policy).
    out = StringIO()
    call_command("storage_check", stdout=out, stderr=StringIO())

    assert "default (PublicMediaS3Storage, backcare-test): OK" in out.getvalue()
    assert "private (PrivateS3Storage, backcare-test): OK" in out.getvalue()
    assert "presign" in out.getvalue()
    assert "Contents" not in s3_client(s3_storages).list_objects_v2(Bucket=s3_bucket)


@pytest.mark.slow
def test_storage_check_names_a_missing_bucket(s3_storages, settings):
    settings.AWS_PRIVATE_BUCKET_NAME = "no-such-bucket"
    err = StringIO()

    with pytest.raises(CommandError, match="private"):
        call_command("storage_check", stdout=StringIO(), stderr=err)

    assert "the bucket does not exist" in err.getvalue()
    assert "no-such-bucket" in err.getvalue()


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("InvalidAccessKeyId", "AWS_ACCESS_KEY_ID"),
        ("SignatureDoesNotMatch", "AWS_SECRET_ACCESS_KEY"),
        ("RequestTimeTooSkewed", "clock"),
        ("NoSuchBucket", "bucket does not exist"),
        ("AccessDenied", "IAM policy"),
    ],
)
def test_s3_refusals_are_explained_in_plain_words(code, words):
    # What S3 itself answers in these cases (moto accepts any key and any clock).
    refusal = ClientError({"Error": {"Code": code, "Message": "refused"}}, "PutObject")

    assert words in storage_error_explain(refusal)


def test_missing_credentials_are_named():
    assert "AWS_ACCESS_KEY_ID" in storage_error_explain(NoCredentialsError())
