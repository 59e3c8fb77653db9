"""The OpenAPI document at /api/schema/ is honest: property-based requests generated from it
(a bounded number per operation) get no server error and answers that match it."""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(settings, demo_site):
    settings.API_ANON_THROTTLE_RATE = "100000/minute"
    # The WSGI handler of the test settings, in this thread: requests see the test database.
    # As in Django's test client, requests must not close that connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_schema_covers_our_endpoints(api_schema):
    paths = {operation.ok().path for operation in api_schema.get_all_operations()}
    assert {
        "/api/glossary-terms/",
        "/api/glossary-terms/{slug}/",
        "/api/testimonials/",
        "/api/testimonials/{id}/",
        "/api/authors/",
        "/api/authors/{id}/",
        "/api/reviewers/",
        "/api/reviewers/{id}/",
        "/api/navigation/",
        "/api/site-settings/",
        "/api/shop/products/",
        "/api/shop/products/{id}/",
        "/api/account/plans/",
    } <= paths
    assert not any(path.startswith("/api/v2/") for path in paths)


def test_every_operation_answers_as_documented(api_schema):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert operations
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def answers_as_documented(case):
            # The WSGI client asks for gzip but does not unpack it: the schema is about JSON.
            case.call_and_validate(checks=CHECKS, headers={"Accept-Encoding": "identity"})

        answers_as_documented()
