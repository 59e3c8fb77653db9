"""`/healthz` answers 200 when the database and cache answer, 503 naming the part that does not."""

import pytest

from tests.support.processes import free_port, python_printed_json

# A real request through the whole middleware stack, in a process whose services are
# configured by the environment (so a service can really be unreachable).
REQUEST_HEALTHZ = (
    "import json, django; django.setup(); from django.test import Client; "
    "r = Client().get('/healthz'); print(json.dumps({'status': r.status_code, "
    "'body': r.json(), 'cache_control': r.headers.get('Cache-Control', '')}))"
)


def healthz_in_process(**env):
    return python_printed_json(
        REQUEST_HEALTHZ, DJANGO_SETTINGS_MODULE="config.settings.test", **env
    )


@pytest.mark.django_db
def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database:default": "ok", "cache:default": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_names_an_unreachable_database(tmp_path):
    closed = free_port()
    answer = healthz_in_process(DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed}/nowhere")
    assert answer["status"] == 503
    assert answer["body"]["status"] == "fail"
    assert answer["body"]["failing"] == ["database:default"]
    assert answer["body"]["checks"]["database:default"] == "error: OperationalError"
    assert answer["body"]["checks"]["cache:default"] == "ok"
    assert "no-cache" in answer["cache_control"]


def test_healthz_names_an_unreachable_cache(tmp_path):
    closed = free_port()
    answer = healthz_in_process(
        DATABASE_URL=f"sqlite:///{tmp_path / 'health.sqlite3'}",
        REDIS_URL=f"redis://127.0.0.1:{closed}/0",
        TEST_USE_REDIS="1",
    )
    assert answer["status"] == 503
    assert answer["body"]["failing"] == ["cache:default"]
    assert answer["body"]["checks"]["database:default"] == "ok"


def test_healthz_with_real_redis_and_sqlite(tmp_path):
    answer = healthz_in_process(
        DATABASE_URL=f"sqlite:///{tmp_path / 'health.sqlite3'}",
        REDIS_URL="redis://127.0.0.1:6379/15",
        TEST_USE_REDIS="1",
    )
    assert answer["status"] == 200, answer
    assert answer["body"]["checks"] == {"database:default": "ok", "cache:default": "ok"}


@pytest.mark.django_db
def test_healthz_refuses_other_methods(client):
    assert client.post("/healthz").status_code == 405
