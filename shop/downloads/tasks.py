"""Background jobs of program files, run by `manage.py db_worker`."""

from django_tasks import task

from shop.downloads.services import program_file_checksum_record


@task()
def program_file_checksum(program_file_id: int, name: str) -> str | None:
    """Record the SHA-256 of a file uploaded straight to the bucket."""
    return program_file_checksum_record(program_file_id=program_file_id, name=name)
