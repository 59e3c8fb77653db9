"""Run the local Stripe stand-in (localstripe) on loopback only, keeping nothing on disk.

localstripe's own CLI listens on every interface and pickles its state to /tmp after each
change; this runner binds 127.0.0.1 and keeps state in memory for the life of the process.

    python scripts/stripe_standin.py --port 8420

It also answers what localstripe 1.15.10 lacks and the site or its tests need:

- `GET /v1/payment_intents/search`: Stripe's search, for the part of the query language the
  site uses (`metadata['key']:'value'` and `customer:'cus_...'` clauses joined by `AND`),
  answered from localstripe's memory; any other query is refused with a 400.
- `POST /_config/delays` with a JSON object such as `{"POST /v1/payment_intents": 6.0}`: every
  matching request waits that many seconds before it is handled, while other requests are
  served at once (a path may hold `{id}`-style segments; 0 removes a delay).
  `GET /_config/delays` shows them, `DELETE /_config/delays` clears them all.
- `GET /_config/requests`: the `/v1/` requests received since the last
  `DELETE /_config/requests` (method, path, query), for tests that check what was asked.
"""

import argparse
import asyncio
import collections
import json
import logging
import re

from localstripe import resources

# Must be replaced before localstripe.server is imported.
resources.Store.dump_to_disk = lambda self: None
resources.Store.try_load_from_disk = lambda self: None

from aiohttp import web  # noqa: E402
from localstripe.errors import UserError  # noqa: E402
from localstripe.resources import PaymentIntent, store  # noqa: E402
from localstripe.server import app, json_response, unflatten_data  # noqa: E402

SEARCH_URL = "/v1/payment_intents/search"
SEARCH_LIMIT_DEFAULT = 10
SEARCH_LIMIT_MAX = 100

# A longer delay is a mistake in a test, not a race worth waiting for.
DELAY_SECONDS_MAX = 120.0
REQUESTS_KEPT = 10_000

# One clause: a field, a colon, a quoted value; backslash escapes a quote in the value.
_SEARCH_CLAUSE = re.compile(
    r"""(?:
        (?P<customer>customer)
        | metadata\[(?:'(?P<key_single>[^'\]]+)'|"(?P<key_double>[^"\]]+)")\]
    ):(?:'(?P<value_single>(?:\\.|[^'\\])*)'|"(?P<value_double>(?:\\.|[^"\\])*)")""",
    re.VERBOSE,
)
# Clauses are joined by AND, or by spaces alone (AND is then implied, as at Stripe).
_SEARCH_JOIN = re.compile(r"\s+(?:AND\s+)?", re.IGNORECASE)
_ESCAPED = re.compile(r"\\(.)")

_DELAY_RULE = re.compile(r"(?P<method>GET|POST|DELETE) (?P<path>/\S*)")

# "METHOD /path" -> (method, compiled path pattern, seconds)
delays: dict[str, tuple[str, re.Pattern[str], float]] = {}
received: collections.deque[dict[str, str]] = collections.deque(maxlen=REQUESTS_KEPT)


def search_clauses(query: str) -> list[tuple[str, str, str]]:
    """The clauses of a search query as (field, metadata key or "", value); a query outside
    the supported part of the language is refused with a 400, never half-understood."""
    clauses = []
    query = query.strip()
    position = 0
    while True:
        match = _SEARCH_CLAUSE.match(query, position)
        if match is None:
            raise UserError(
                400,
                f"Unsupported search query at position {position}: {query[position:]!r}. "
                "This stand-in answers metadata['key']:'value' and customer:'cus_...' "
                "clauses joined by AND.",
            )
        raw = match["value_single"] if match["value_single"] is not None else match["value_double"]
        value = _ESCAPED.sub(r"\1", raw)
        if match["customer"]:
            clauses.append(("customer", "", value))
        else:
            clauses.append(("metadata", match["key_single"] or match["key_double"], value))
        position = match.end()
        if position == len(query):
            return clauses
        joined = _SEARCH_JOIN.match(query, position)
        if joined is None:
            raise UserError(400, f"Expected AND at position {position} of the search query")
        position = joined.end()


def _intent_matches(intent: PaymentIntent, clauses: list[tuple[str, str, str]]) -> bool:
    for field, key, value in clauses:
        actual = intent.customer if field == "customer" else (intent.metadata or {}).get(key)
        if actual is None or str(actual) != value:
            return False
    return True


def payment_intents_search(request: web.Request) -> web.Response:
    """Stripe's PaymentIntent search over localstripe's memory, newest first as at Stripe."""
    params = unflatten_data(request.query)
    query = params.pop("query", None)
    limit = params.pop("limit", SEARCH_LIMIT_DEFAULT)
    page = params.pop("page", None)
    expand = params.pop("expand", None) or []
    if params:
        raise UserError(400, "Unexpected " + ", ".join(params.keys()))
    if not isinstance(query, str) or not query.strip():
        raise UserError(400, "Missing required param: query.")
    try:
        limit = int(limit)
    except (TypeError, ValueError):
        raise UserError(400, "Invalid integer: limit") from None
    if not 1 <= limit <= SEARCH_LIMIT_MAX:
        raise UserError(400, f"limit must be between 1 and {SEARCH_LIMIT_MAX}")
    if not isinstance(expand, list):
        raise UserError(400, "Bad request")
    clauses = search_clauses(query)

    intents = [value for key, value in store.items() if key.startswith("payment_intent:")]
    intents.reverse()  # the store keeps creation order
    found = [intent for intent in intents if _intent_matches(intent, clauses)]
    start = 0
    if page is not None:
        # The page token is the id of the last PaymentIntent already returned.
        ids = [intent.id for intent in found]
        if not isinstance(page, str) or page not in ids:
            raise UserError(400, f"Invalid page: {page!r}")
        start = ids.index(page) + 1
    shown = found[start : start + limit]
    has_more = len(found) > start + limit
    # Stripe expands inside the results with "data." paths.
    expand_paths = [path.removeprefix("data.") for path in expand]
    return json_response(
        {
            "object": "search_result",
            "url": SEARCH_URL,
            "has_more": has_more,
            "next_page": shown[-1].id if has_more else None,
            "data": [intent._export(expand=expand_paths) for intent in shown],
        }
    )


# Routes localstripe would otherwise send elsewhere: /v1/payment_intents/{id} takes "search".
_ROUTES_FIRST = {("GET", SEARCH_URL): payment_intents_search}


@web.middleware
async def routes_first_middleware(request: web.Request, handler):
    route = _ROUTES_FIRST.get((request.method, request.path))
    if route is not None:
        return route(request)
    return await handler(request)


@web.middleware
async def requests_and_delays_middleware(request: web.Request, handler):
    if request.path.startswith("/v1/"):
        received.append(
            {"method": request.method, "path": request.path, "query": request.query_string}
        )
        waits = [
            seconds
            for method, path, seconds in delays.values()
            if method == request.method and path.fullmatch(request.path)
        ]
        if waits:
            await asyncio.sleep(max(waits))
    return await handler(request)


def _delay_rules(body: object) -> dict[str, tuple[str, re.Pattern[str], float]]:
    """Checked delay rules from a request body; raises a 400 before anything is changed."""
    if not isinstance(body, dict) or not body:
        raise UserError(400, 'Expected a JSON object such as {"POST /v1/payment_intents": 6}')
    rules = {}
    for rule, seconds in body.items():
        match = _DELAY_RULE.fullmatch(rule)
        if match is None:
            raise UserError(400, f"Delay {rule!r} is not 'GET|POST|DELETE /path'")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise UserError(400, f"Delay for {rule!r} must be a number of seconds")
        if not 0 <= seconds <= DELAY_SECONDS_MAX:
            raise UserError(400, f"Delay for {rule!r} must be 0 to {DELAY_SECONDS_MAX} seconds")
        # "{id}" stands for one path segment, as in aiohttp's routes.
        parts = re.split(r"\{[^/{}]*\}", match["path"])
        path = re.compile("[^/]+".join(re.escape(part) for part in parts))
        rules[rule] = (match["method"], path, float(seconds))
    return rules


def _delays_shown() -> web.Response:
    return json_response({rule: seconds for rule, (_, _, seconds) in delays.items()})


async def delays_set(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise UserError(400, "Expected a JSON body") from None
    for rule, value in _delay_rules(body).items():
        if value[2] == 0:
            delays.pop(rule, None)
        else:
            delays[rule] = value
    return _delays_shown()


async def delays_get(request: web.Request) -> web.Response:
    return _delays_shown()


async def delays_clear(request: web.Request) -> web.Response:
    delays.clear()
    return _delays_shown()


async def requests_get(request: web.Request) -> web.Response:
    return json_response({"requests": list(received)})


async def requests_clear(request: web.Request) -> web.Response:
    received.clear()
    return web.Response()


app.middlewares.append(requests_and_delays_middleware)
app.middlewares.append(routes_first_middleware)
app.router.add_get("/_config/delays", delays_get)
app.router.add_post("/_config/delays", delays_set)
app.router.add_delete("/_config/delays", delays_clear)
app.router.add_get("/_config/requests", requests_get)
app.router.add_delete("/_config/requests", requests_clear)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="stripe-standin %(levelname)s %(message)s")
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
