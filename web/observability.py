"""Error tracking and request ids.

Every request gets an id (the load balancer's ``X-Request-ID`` when it is a valid one, else a
new one), returned in the response's ``X-Request-ID`` header and written on every log line of
that request, so a customer's "it failed at 14:02" can be found in the logs.

Errors go to Sentry only when ``SENTRY_DSN`` is set, and without personal data: no user,
no IP address, no cookies, no request body, no query string, only the request's id and path.
"""

import sentry_sdk
from django_guid.context import guid
from sentry_sdk.integrations.django import DjangoIntegration

# Request headers that may go with an error; everything else (cookies, authorisation,
# forwarded addresses) stays here.
KEPT_HEADERS = {"User-Agent", "Content-Type", "Accept", "Referer", "X-Request-Id"}


def error_scrubbed(event: dict, hint: dict) -> dict:
    """The event as it may leave the site: tagged with the request's id, stripped of anything
    that could identify a person."""
    request_id = guid.get()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    event.pop("user", None)
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("cookies", "data", "query_string", "env"):
            request.pop(key, None)
        headers = request.get("headers") or {}
        request["headers"] = {k: v for k, v in headers.items() if k.title() in KEPT_HEADERS}
    return event


def error_tracking_start(*, dsn: str, environment: str, release: str = "") -> bool:
    """Start sending errors to Sentry; False (and nothing sent) when ``dsn`` is empty."""
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration()],
        # Nothing that identifies a person is collected; error_scrubbed removes the rest.
        data_collection={
            "user_info": False,
            "http_bodies": [],
            "stack_frame_variables": False,
            "database_query_data": False,
        },
        before_send=error_scrubbed,
        traces_sample_rate=0.0,
    )
    return True
