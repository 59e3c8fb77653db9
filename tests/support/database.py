"""The test database kept between runs (--reuse-db): telling whether it still holds what
migrations wrote, and putting that back.

A transactional test with ``serialized_rollback`` empties every table when it ends (the next
one restores them first), and pytest-django runs those tests last: without help, a kept
database would start the next run empty of the rows data migrations made.
"""

import sqlite3
from io import StringIO
from pathlib import Path

from django.core import serializers
from django.db import DatabaseError, connections, models, transaction
from django.db.backends.base.creation import BaseDatabaseCreation

# Django's own row-by-row restore, which `migrated_rows_insert` stands in for during tests and
# is checked against (tests/test_migrated_rows.py).
django_rows_restore = BaseDatabaseCreation.deserialize_db_from_string


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


# The rows of each serialized database, as model instances: parsed once per session.
_parsed: dict[tuple[str, str], list] = {}


def migrated_rows_insert(creation, data: str) -> None:
    """What Django's ``deserialize_db_from_string`` does before each test with
    ``serialized_rollback``, in one INSERT per table instead of an UPDATE then an INSERT
    per row (900 rows: 0.2 s a test on SQLite, 0.5 s on PostgreSQL, for some sixty tests).

    The same rows and many-to-many links, checked the same way afterwards. A table that is
    not empty (the first such test of a session finds the migrated rows still there), a
    model that inherits another's table and one whose fields change their value on save are
    written row by row, as Django does.
    """
    connection = creation.connection
    alias = connection.alias
    key = (alias, data)
    parsed = _parsed.get(key)
    if parsed is None:
        parsed = _parsed[key] = [
            (found.object, dict(found.m2m_data or {}))
            for found in serializers.deserialize("json", StringIO(data), using=alias)
        ]
    by_model: dict[type[models.Model], list[tuple[models.Model, dict]]] = {}
    for instance, m2m in parsed:
        by_model.setdefault(type(instance), []).append((instance, m2m))
    tables = set()
    with transaction.atomic(using=alias):
        with connection.constraint_checks_disabled():
            # Foreign keys are checked at the end, as Django does: the order does not matter.
            for model, rows in by_model.items():
                tables.add(model._meta.db_table)
                if not rows_written_at_once(model, rows, alias):
                    rows_written_one_by_one(rows, alias)
        connection.check_constraints(table_names=tables)


def rows_written_at_once(model, rows: list, alias: str) -> bool:
    """Insert the model's rows and their links in one statement each, when nothing is in the
    way; says whether it did."""
    manager = model._base_manager.using(alias)
    throughs = {
        name: model._meta.get_field(name).remote_field.through for _, m2m in rows for name in m2m
    }
    rewritten = not all(kept_as_given(field) for field in model._meta.concrete_fields)
    if model._meta.parents or rewritten or manager.exists():
        return False
    if any(through._base_manager.using(alias).exists() for through in throughs.values()):
        return False
    manager.bulk_create([instance for instance, _ in rows])
    for name, through in throughs.items():
        field = model._meta.get_field(name)
        source = through._meta.get_field(field.m2m_field_name()).attname
        target = through._meta.get_field(field.m2m_reverse_field_name()).attname
        through._base_manager.using(alias).bulk_create(
            through(**{source: instance.pk, target: pk})
            for instance, m2m in rows
            for pk in m2m.get(name, ())
        )
    return True


def kept_as_given(field: models.Field) -> bool:
    """Whether bulk_create writes the field's value as it is: it calls each field's pre_save,
    which a raw save skips (auto_now dates, slugs made on save, files)."""
    pre_save = type(field).pre_save
    if pre_save is models.Field.pre_save:
        return True
    dated = (models.DateField.pre_save, models.DateTimeField.pre_save, models.TimeField.pre_save)
    return pre_save in dated and not (field.auto_now or field.auto_now_add)


def rows_written_one_by_one(rows: list, alias: str) -> None:
    for instance, m2m in rows:
        models.Model.save_base(instance, using=alias, raw=True)
        for name, pks in m2m.items():
            getattr(instance, name).set(pks)
