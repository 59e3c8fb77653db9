"""Round trip through each configured storage, with failures named in plain words."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.error import HTTPError, URLError
from urllib.request import urlopen

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from django.core.files.base import ContentFile

from media_config.storages import storage_is_s3

# S3 refuses signatures more than 15 minutes off; warn well before that.
CLOCK_SKEW_WARN_SECONDS = 60

_S3_ERROR_CAUSES = {
    "NoSuchBucket": "the bucket does not exist (check AWS_STORAGE_BUCKET_NAME / "
    "AWS_PRIVATE_BUCKET_NAME and the region)",
    "InvalidAccessKeyId": "the access key is not known (check AWS_ACCESS_KEY_ID)",
    "SignatureDoesNotMatch": "the secret key is wrong (check AWS_SECRET_ACCESS_KEY)",
    "AccessDenied": "the credentials may not use this bucket (check the IAM policy)",
    "RequestTimeTooSkewed": "this machine's clock is too far from S3's (sync it with NTP)",
    "AuthorizationHeaderMalformed": "the region does not match the bucket's "
    "(check AWS_S3_REGION_NAME)",
    "PermanentRedirect": "the bucket is in another region (check AWS_S3_REGION_NAME)",
}


@dataclass
class StorageCheckResult:
    alias: str
    backend: str
    steps: list[str] = field(default_factory=list)
    problem: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problem


def storage_error_explain(exc: Exception) -> str:
    """A plain-words cause for an exception raised while talking to a storage."""
    if isinstance(exc, NoCredentialsError):
        return "no S3 credentials were found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _S3_ERROR_CAUSES:
            return f"{_S3_ERROR_CAUSES[code]} [{code}]"
        if code == "404" or status == 404:
            return f"{_S3_ERROR_CAUSES['NoSuchBucket']} [404]"
        if code == "403" or status == 403:
            return f"{_S3_ERROR_CAUSES['AccessDenied']} [403]"
        return f"S3 answered {code or status}: {exc}"
    if isinstance(exc, BotoCoreError):
        return f"S3 could not be reached: {exc}"
    if isinstance(exc, PermissionError):
        return f"no permission to write the folder: {exc}"
    return f"{type(exc).__name__}: {exc}"


def _s3_clock_skew_seconds(storage) -> float | None:
    # The bucket's HEAD answer carries S3's own clock in its Date header.
    head = storage.connection.meta.client.head_bucket(Bucket=storage.bucket_name)
    date = head.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    if not date:
        return None
    return abs((datetime.now(UTC) - parsedate_to_datetime(date)).total_seconds())


def storage_check(*, alias: str, storage) -> StorageCheckResult:
    """Write, read, presign (where the storage has URLs) and delete a small object."""
    result = StorageCheckResult(alias=alias, backend=type(storage).__name__)
    payload = f"storage check {uuid.uuid4()}".encode()
    name = f"storage-check/{uuid.uuid4().hex}.txt"
    if storage_is_s3(storage) and not storage.querystring_auth:
        # Among the pictures, the only public part of the media bucket (PUBLIC_MEDIA_PREFIXES).
        name = f"images/{name}"
    saved = None
    step = "write"
    try:
        if storage_is_s3(storage):
            step = "reach the bucket"
            skew = _s3_clock_skew_seconds(storage)
            if skew is not None and skew > CLOCK_SKEW_WARN_SECONDS:
                result.warnings.append(
                    f"this machine's clock is {skew:.0f} s off S3's: presigned links may "
                    "fail (sync it with NTP)"
                )
            result.steps.append("reach the bucket")
        step = "write"
        saved = storage.save(name, ContentFile(payload))
        result.steps.append("write")
        step = "read"
        with storage.open(saved, "rb") as handle:
            if handle.read() != payload:
                raise ValueError("the object read back differs from what was written")
        result.steps.append("read")
        if storage_is_s3(storage) and not storage.querystring_auth:
            # Public media: read as a visitor would, through the plain URL (bucket or CDN).
            step = "read through the public URL"
            with urlopen(storage.url(saved), timeout=15) as response:  # noqa: S310 (our URL)
                if response.read() != payload:
                    raise ValueError("the public URL returned other content")
            result.steps.append("public read")
        elif storage_is_s3(storage):
            step = "presign"
            url = storage.url(
                saved, parameters={"ResponseContentDisposition": "attachment"}, expire=60
            )
            step = "download through the presigned link"
            with urlopen(url, timeout=15) as response:  # noqa: S310 (the storage's own URL)
                if response.read() != payload:
                    raise ValueError("the presigned link returned other content")
            result.steps.append("presign")
        step = "delete"
        storage.delete(saved)
        saved = None
        result.steps.append("delete")
    except HTTPError as exc:
        if step == "read through the public URL":
            result.problem = (
                f"could not {step}: it was refused with HTTP {exc.code}; anyone must be "
                "allowed to read public media (manage.py media_bucket_policy --apply, or the "
                "CDN's access to the bucket)"
            )
        else:
            result.problem = (
                f"could not {step}: the presigned link was refused with HTTP {exc.code} "
                "(a clock far off or a wrong region makes signatures invalid)"
            )
    except URLError as exc:
        result.problem = f"could not {step}: {exc.reason}"
    except Exception as exc:
        result.problem = f"could not {step}: {storage_error_explain(exc)}"
    finally:
        if saved is not None:
            try:
                storage.delete(saved)
            except Exception as exc:
                result.warnings.append(f"the test object {saved} may be left behind: {exc}")
    return result
