"""Background jobs of program files, run by `manage.py db_worker`."""

from django.db import transaction
from django_tasks import task

from shop.downloads.models import ProgramFile
from shop.downloads.services import program_file_checksum_record


@task()
def program_file_checksum(program_file_id: int, name: str) -> str | None:
    """Record the SHA-256 of a file uploaded straight to the bucket."""
    return program_file_checksum_record(program_file_id=program_file_id, name=name)


def program_file_checksum_later(*, program_file: ProgramFile) -> None:
    """Queue the checksum of the program file's stored object once the caller's
    transaction commits (a rolled-back save queues nothing)."""
    file_id, name = program_file.pk, program_file.file.name
    transaction.on_commit(lambda: program_file_checksum.enqueue(file_id, name))
