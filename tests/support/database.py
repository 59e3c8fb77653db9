"""The test database kept between runs (--reuse-db): telling whether it still holds what
migrations wrote, and putting that back.

A transactional test with ``serialized_rollback`` empties every table when it ends (the next
one restores them first), and pytest-django runs those tests last: without help, a kept
database would start the next run empty of the rows data migrations made.
"""

import sqlite3
from pathlib import Path

from django.db import DatabaseError, connections


def kept_database_emptied(alias: str) -> bool:
    """Whether the kept test database of ``alias`` exists but lost its migrated rows (a run
    stopped between a transactional test and the end of the session)."""
    connection = connections[alias]
    name = connection.creation._get_test_db_name()
    if connection.vendor == "sqlite":
        if connection.creation.is_in_memory_db(name) or not Path(name).exists():
            return False
        try:
            with sqlite3.connect(name) as kept:
                (count,) = kept.execute("SELECT COUNT(*) FROM django_content_type").fetchone()
        except sqlite3.DatabaseError:
            return True
        return count == 0
    kept = connection.__class__({**connection.settings_dict, "NAME": name}, alias=alias)
    try:
        with kept.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM django_content_type")
            (count,) = cursor.fetchone()
    except DatabaseError:
        # No such database (keepdb creates it) or no such table (it is migrated).
        return False
    finally:
        kept.close()
    return count == 0


def migrated_rows_restore() -> None:
    """Put back the rows serialized when the session began into every test database that a
    transactional test left empty."""
    from django.contrib.contenttypes.models import ContentType

    for connection in connections.all():
        contents = getattr(connection, "_test_serialized_contents", None)
        if contents and not ContentType.objects.using(connection.alias).exists():
            connection.creation.deserialize_db_from_string(contents)
