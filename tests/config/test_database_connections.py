"""Production keeps database connections open between requests and checks them before reuse;
development and tests open one per request. Each case loads the settings in a new
process, as a real process start would."""

import pytest

from tests.config.test_settings import PRODUCTION_ENV
from tests.support.processes import python_printed_json

DUMP = (
    "import json; from django.conf import settings as s; "
    "d = s.DATABASES['default']; "
    "print(json.dumps({'age': d['CONN_MAX_AGE'], 'checks': d.get('CONN_HEALTH_CHECKS', False)}))"
)


def database_connections(**env) -> dict:
    return python_printed_json(DUMP, **env)


def test_production_keeps_connections_and_checks_them():
    assert database_connections(**PRODUCTION_ENV) == {"age": 60, "checks": True}


def test_production_connection_settings_come_from_the_environment():
    loaded = database_connections(**PRODUCTION_ENV, CONN_MAX_AGE="0", CONN_HEALTH_CHECKS="false")
    assert loaded == {"age": 0, "checks": False}


def test_production_keeps_connections_on_postgresql_too():
    loaded = database_connections(
        **PRODUCTION_ENV, DATABASE_URL="postgres://app@db.internal:5432/backcare"
    )
    assert loaded == {"age": 60, "checks": True}


@pytest.mark.parametrize("module", ["dev", "test"])
def test_local_settings_open_a_connection_per_request(module):
    loaded = database_connections(DJANGO_SETTINGS_MODULE=f"config.settings.{module}")
    assert loaded["age"] == 0
