"""The bucket policy that lets anyone read public media, and nothing else.

Public media (``media/`` in the media bucket) are linked unsigned from pages, so anonymous
readers must be allowed ``s3:GetObject`` on that prefix. Program files stay private: the
policy is refused for a bucket that also holds them.
"""

import json
from dataclasses import dataclass

from botocore.exceptions import ClientError

from media_config.storages import PUBLIC_MEDIA_PREFIXES

# Our statement's id: applying again replaces it and keeps the bucket's other statements.
STATEMENT_ID = "PublicReadMedia"


class PolicyRefused(Exception):
    """The policy would expose program files, or the storage is not a bucket."""


@dataclass(frozen=True)
class MediaBucket:
    bucket: str
    prefix: str
    private_bucket: str


def media_bucket_of(storage, *, private_storage) -> MediaBucket:
    """Where public media live, refused when program files share that bucket."""
    bucket = getattr(storage, "bucket_name", "")
    if not bucket:
        raise PolicyRefused("Public media are not kept in a bucket (AWS_STORAGE_BUCKET_NAME).")
    private_bucket = getattr(private_storage, "bucket_name", "")
    if private_bucket == bucket:
        raise PolicyRefused(
            f"Program files are kept in the media bucket {bucket}: a public policy there is "
            "one mistake away from exposing them. Set AWS_PRIVATE_BUCKET_NAME to a separate "
            "private bucket first."
        )
    prefix = (storage.location or "").strip("/")
    if not prefix:
        raise PolicyRefused(
            "Public media have no prefix (location): the whole bucket would be public."
        )
    return MediaBucket(bucket=bucket, prefix=prefix, private_bucket=private_bucket)


def public_read_statement(media: MediaBucket) -> dict:
    """Anyone may read (GetObject only: no listing, no writing) pictures under the prefix;
    documents beside them stay private (PUBLIC_MEDIA_PREFIXES)."""
    return {
        "Sid": STATEMENT_ID,
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": [
            f"arn:aws:s3:::{media.bucket}/{media.prefix}/{folder}*"
            for folder in PUBLIC_MEDIA_PREFIXES
        ],
    }


def _current_policy(client, bucket: str) -> dict:
    try:
        return json.loads(client.get_bucket_policy(Bucket=bucket)["Policy"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchBucketPolicy":
            return {"Version": "2012-10-17", "Statement": []}
        raise


def media_bucket_policy(client, media: MediaBucket) -> dict:
    """The bucket's policy with our statement in it (added, or replacing an older one)."""
    policy = _current_policy(client, media.bucket)
    others = [s for s in policy.get("Statement", []) if s.get("Sid") != STATEMENT_ID]
    return {
        "Version": policy.get("Version", "2012-10-17"),
        "Statement": [*others, public_read_statement(media)],
    }


def media_bucket_policy_apply(client, media: MediaBucket) -> dict:
    """Put the policy on the media bucket. S3's "block public access" would refuse a public
    policy, so its two policy switches are turned off for this bucket; public ACLs stay
    blocked (objects are never made public one by one)."""
    policy = media_bucket_policy(client, media)
    client.put_public_access_block(
        Bucket=media.bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )
    client.put_bucket_policy(Bucket=media.bucket, Policy=json.dumps(policy))
    return policy
