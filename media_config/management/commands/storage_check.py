from django.conf import settings
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError

from media_config.checks import storage_check


class Command(BaseCommand):
    help = (
        "Write, read, presign and delete a small object in each configured storage "
        "(public media and private program files) and say plainly what failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("aliases", nargs="*", help="Storages to check (default: all).")

    def handle(self, *args, aliases, **options):
        aliases = aliases or [alias for alias in settings.STORAGES if alias != "staticfiles"]
        failed = []
        for alias in aliases:
            try:
                storage = storages[alias]
            except Exception as exc:
                failed.append(alias)
                self.stderr.write(f"{alias}: cannot be set up: {exc}")
                continue
            result = storage_check(alias=alias, storage=storage)
            where = getattr(storage, "bucket_name", None) or getattr(storage, "location", "")
            for warning in result.warnings:
                self.stderr.write(self.style.WARNING(f"{alias}: warning: {warning}"))
            if result.ok:
                self.stdout.write(
                    self.style.SUCCESS(
                        f"{alias} ({result.backend}, {where}): OK — {', '.join(result.steps)}"
                    )
                )
            else:
                failed.append(alias)
                self.stderr.write(
                    self.style.ERROR(f"{alias} ({result.backend}, {where}): {result.problem}")
                )
        if failed:
            raise CommandError(f"Storage check failed for: {', '.join(failed)}")
