import json

from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError

from media_config.public_media import (
    PolicyRefused,
    media_bucket_of,
    media_bucket_policy,
    media_bucket_policy_apply,
)
from media_config.storages import private_storage_get


class Command(BaseCommand):
    help = (
        "Show the media bucket's policy that lets anyone read public media (the media/ prefix "
        "only), or put it on the bucket with --apply. Refused when program files share the "
        "bucket. With a CDN reading the bucket through its own access (e.g. CloudFront origin "
        "access control), use the CDN's policy instead."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--apply", action="store_true", help="Put the policy on the bucket (default: show it)."
        )

    def handle(self, *args, apply: bool, **options):
        storage = storages["default"]
        try:
            media = media_bucket_of(storage, private_storage=private_storage_get())
        except PolicyRefused as exc:
            raise CommandError(str(exc)) from None
        client = storage.connection.meta.client
        if apply:
            policy = media_bucket_policy_apply(client, media)
            self.stdout.write(json.dumps(policy, indent=2))
            self.stdout.write(
                self.style.SUCCESS(
                    f"Anyone may now read {media.bucket}/{media.prefix}/*; "
                    f"{media.private_bucket or 'the private bucket'} is untouched."
                )
            )
        else:
            self.stdout.write(json.dumps(media_bucket_policy(client, media), indent=2))
            self.stdout.write(f"Not applied. Run again with --apply to put it on {media.bucket}.")
