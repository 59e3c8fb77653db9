"""Test knobs of the Stripe stand-in (scripts/stripe_standin.py): delays for race tests and
the log of the requests it received."""

import json
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager


def standin_config(base_url: str, method: str, path: str, body: object = None) -> object:
    """Call one of the stand-in's `/_config/` routes; returns its JSON answer, if any."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{base_url}{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"} if data is not None else {},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read()
    return json.loads(text) if text else None


@contextmanager
def standin_delay(base_url: str, request: str, seconds: float) -> Iterator[None]:
    """Make every `request` ("POST /v1/payment_intents", "{id}" for a path segment) wait
    `seconds` at the stand-in before it is handled; the delay is removed on the way out,
    whatever happens inside."""
    standin_config(base_url, "POST", "/_config/delays", {request: seconds})
    try:
        yield
    finally:
        standin_config(base_url, "POST", "/_config/delays", {request: 0})


@contextmanager
def standin_requests(base_url: str) -> Iterator[list[dict[str, str]]]:
    """The `/v1/` requests the stand-in receives inside the block, as dicts of method, path
    and query; the list is filled in on the way out."""
    received: list[dict[str, str]] = []
    standin_config(base_url, "DELETE", "/_config/requests")
    yield received
    received.extend(standin_config(base_url, "GET", "/_config/requests")["requests"])
