"""Request ids on every log line and response; errors to Sentry only with a DSN, and then
without personal data."""

import gzip
import io
import json
import logging
import threading
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import sentry_sdk
from django.test import Client
from django.urls import path

from web.observability import error_tracking_start


def stdout_handler() -> logging.Handler:
    (handler,) = [h for h in logging.getLogger().handlers if h.get_name() == "stdout"]
    return handler


def test_a_request_gets_an_id_in_its_answer_and_its_log_lines(client, settings):
    handler = stdout_handler()
    stream = io.StringIO()
    old_stream = handler.setStream(stream)
    try:
        given = uuid.uuid4().hex
        # A webhook with a bad signature is refused and logged (a warning).
        response = client.post(
            "/shop/stripe/webhook/",
            data=b"{}",
            content_type="application/json",
            HTTP_X_REQUEST_ID=given,
        )
        forged = client.post(
            "/shop/stripe/webhook/",
            data=b"{}",
            content_type="application/json",
            HTTP_X_REQUEST_ID="not an id; DROP TABLE",
        )
    finally:
        handler.setStream(old_stream)
    assert response.status_code == 400
    assert response["X-Request-ID"] == given
    logged = stream.getvalue()
    assert f"[{given}]" in logged and "bad signature" in logged
    # A malformed id from outside is replaced by a fresh one, never written to the logs.
    fresh = forged["X-Request-ID"]
    assert fresh != "not an id; DROP TABLE" and len(fresh) == 32
    assert "DROP TABLE" not in logged and f"[{fresh}]" in logged


class _Collector(BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding == "br":
            import brotli

            body = brotli.decompress(body)
        self.bodies.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def _boom(request):
    raise RuntimeError("the view failed")


urlpatterns = [path("boom/", _boom)]


@pytest.fixture
def sentry_collector():
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    _Collector.bodies = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://public@127.0.0.1:{server.server_port}/1", _Collector.bodies
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)
        server.shutdown()


def test_without_a_dsn_nothing_is_started():
    assert error_tracking_start(dsn="", environment="test") is False
    assert not sentry_sdk.get_client().is_active()


@pytest.mark.django_db
def test_an_error_reaches_sentry_with_its_request_id_and_no_personal_data(
    sentry_collector, settings, django_user_model
):
    dsn, bodies = sentry_collector
    settings.ROOT_URLCONF = __name__
    assert error_tracking_start(dsn=dsn, environment="test") is True
    user = django_user_model.objects.create_user("robin", "robin@example.com", "pw-long-123!")
    browser = Client(raise_request_exception=False)
    browser.force_login(user)
    request_id = uuid.uuid4().hex
    response = browser.post(
        "/boom/?email=robin@example.com",
        {"card_name": "Robin Example"},
        HTTP_X_REQUEST_ID=request_id,
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert response.status_code == 500
    sentry_sdk.flush(timeout=5)
    events = [
        json.loads(line)
        for body in bodies
        for line in body.splitlines()
        if line.startswith(b"{") and b'"exception"' in line
    ]
    assert len(events) == 1
    event = events[0]
    assert event["tags"]["request_id"] == request_id
    assert event["exception"]["values"][-1]["value"] == "the view failed"
    sent = json.dumps(event)
    for personal in ("robin@example.com", "Robin Example", "203.0.113.9", "sessionid"):
        assert personal not in sent
    assert "user" not in event
