"""Before each test with ``serialized_rollback``, the rows migrations wrote are put back in
one INSERT per table (tests/support/database.py): the database must then hold exactly what
Django's own row-by-row restore gives, many-to-many links included."""

import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.backends.base.creation import BaseDatabaseCreation

from tests.support.database import django_rows_restore, migrated_rows_insert


def database_rows() -> list:
    return sorted(
        json.loads(connection.creation.serialize_db_to_string()),
        key=lambda row: (row["model"], str(row.get("pk"))),
    )


def emptied() -> None:
    # As Django empties the database after a transactional test: the sequences go on from
    # where they were, so rows made later never take the ids of the migrated ones.
    call_command(
        "flush", "--no-input", inhibit_post_migrate=True, reset_sequences=False, verbosity=0
    )
    assert database_rows() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_quick_restore_gives_the_rows_and_links_of_djangos_own():
    assert BaseDatabaseCreation.deserialize_db_from_string is migrated_rows_insert
    serialized = connection._test_serialized_contents

    emptied()
    django_rows_restore(connection.creation, serialized)
    expected = database_rows()
    assert len(expected) == len(json.loads(serialized))
    assert any(row["model"] == "auth.group" and row["fields"]["permissions"] for row in expected)

    emptied()
    migrated_rows_insert(connection.creation, serialized)
    assert database_rows() == expected
    # Again, from the instances parsed the first time, as the next test would.
    emptied()
    migrated_rows_insert(connection.creation, serialized)
    assert database_rows() == expected
