"""The local Stripe stand-in started by `make run` and the tests: loopback only, no disk dump,
and answering stripe-python over real HTTP."""

import json
import os
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import stripe

from tests.shop.standin import standin_config, standin_delay

# Where localstripe's own CLI would pickle its state.
PICKLE = Path("/tmp/localstripe.pickle")  # noqa: S108


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on this port, from /proc/net/tcp{,6}."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].rsplit(":", 1)
            if int(port_hex, 16) == port and fields[3] == "0A":  # 0A = LISTEN
                found.add(address)
    return found


def test_standin_binds_loopback_only(stripe_standin):
    port = urlsplit(stripe_standin).port
    assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1, and nothing else


def test_standin_answers_stripe_python_and_keeps_nothing_on_disk(stripe_standin):
    before = PICKLE.stat().st_mtime_ns if PICKLE.exists() else None
    client = stripe.StripeClient("sk_test_standin", base_addresses={"api": stripe_standin})
    customer = client.v1.customers.create(params={"email": "reader@example.com"})
    assert customer.id.startswith("cus_")
    assert client.v1.customers.retrieve(customer.id).email == "reader@example.com"
    after = PICKLE.stat().st_mtime_ns if PICKLE.exists() else None
    assert after == before


def test_standin_serves_its_stripe_js(stripe_standin):
    import urllib.request

    with urllib.request.urlopen(f"{stripe_standin}/js.stripe.com/v3/", timeout=5) as response:
        assert response.status == 200
        assert b"Stripe" in response.read()


# PaymentIntent search, which localstripe itself lacks


def standin_client(base_url: str) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_standin", base_addresses={"api": base_url})


def intent_new(client, customer_id: str, amount: int, metadata: dict[str, str]):
    return client.v1.payment_intents.create(
        params={"amount": amount, "currency": "usd", "customer": customer_id, "metadata": metadata}
    )


def search_all(client, query: str, limit: int) -> tuple[list[str], int]:
    """Ids of every match, following next_page, and how many pages it took."""
    ids, pages, params = [], 0, {"query": query, "limit": limit}
    while True:
        page = client.v1.payment_intents.search(params=params)
        pages += 1
        assert page.object == "search_result"
        assert page.url == "/v1/payment_intents/search"
        ids += [intent.id for intent in page.data]
        if not page.has_more:
            assert page.next_page is None
            return ids, pages
        params = {**params, "page": page.next_page}


def test_search_finds_exactly_the_matching_payment_intents_across_pages(stripe_standin):
    client = standin_client(stripe_standin)
    mine = client.v1.customers.create(params={"email": "mine@example.com"}).id
    theirs = client.v1.customers.create(params={"email": "theirs@example.com"}).id
    plan = f"plan-{uuid.uuid4().hex}"
    wanted = [intent_new(client, mine, 100 + n, {"plan_id": plan, "n": str(n)}) for n in range(5)]
    intent_new(client, theirs, 200, {"plan_id": plan})  # same plan, another customer
    intent_new(client, mine, 300, {"plan_id": f"{plan}-other"})  # same customer, other plan
    intent_new(client, mine, 400, {})

    query = f"customer:'{mine}' AND metadata['plan_id']:'{plan}'"
    ids, pages = search_all(client, query, limit=2)
    assert ids == [intent.id for intent in reversed(wanted)]  # newest first, as at Stripe
    assert pages == 3

    # A metadata clause alone finds every customer's; clauses joined by spaces are ANDed.
    ids, _ = search_all(client, f"metadata['plan_id']:'{plan}'", limit=100)
    assert len(ids) == 6
    ids, _ = search_all(client, f'metadata["plan_id"]:"{plan}" metadata["n"]:"3"', limit=10)
    assert ids == [wanted[3].id]


def test_search_reads_escaped_quotes_as_part_of_the_value(stripe_standin):
    client = standin_client(stripe_standin)
    customer = client.v1.customers.create(params={"email": "quote@example.com"}).id
    tag = uuid.uuid4().hex
    quoted = intent_new(client, customer, 100, {"tag": f"{tag}' OR x:'y"})
    intent_new(client, customer, 100, {"tag": tag})
    ids, _ = search_all(client, f"metadata['tag']:'{tag}\\' OR x:\\'y'", limit=10)
    assert ids == [quoted.id]


@pytest.mark.parametrize(
    "query",
    [
        "customer:'cus_x' OR metadata['k']:'v'",
        "status:'succeeded'",
        "-customer:'cus_x'",
        "metadata['k']:'v' AND",
        "metadata['k']:'unterminated",
        "customer:cus_x",
    ],
)
def test_search_refuses_what_it_cannot_answer(stripe_standin, query):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        standin_client(stripe_standin).v1.payment_intents.search(params={"query": query})
    assert caught.value.http_status == 400


def test_search_needs_a_secret_key_and_leaves_payment_intents_retrievable(stripe_standin):
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(
            f"{stripe_standin}/v1/payment_intents/search?query=customer:'cus_x'", timeout=5
        )
    assert caught.value.code == 401
    client = standin_client(stripe_standin)
    customer = client.v1.customers.create(params={"email": "get@example.com"}).id
    made = intent_new(client, customer, 100, {})
    assert client.v1.payment_intents.retrieve(made.id).id == made.id


# Delays for race tests


def test_delayed_request_waits_while_others_are_answered_at_once(stripe_standin):
    client = standin_client(stripe_standin)
    customer = client.v1.customers.create(params={"email": "race@example.com"}).id
    took = {}

    def create():
        started = time.monotonic()
        intent_new(client, customer, 100, {})
        took["create"] = time.monotonic() - started

    with standin_delay(stripe_standin, "POST /v1/payment_intents", 1.5):
        creating = threading.Thread(target=create)
        creating.start()
        time.sleep(0.2)
        started = time.monotonic()
        assert client.v1.customers.retrieve(customer).id == customer
        took["get"] = time.monotonic() - started
        assert creating.is_alive()  # still waiting at the stand-in
        creating.join(timeout=10)
    assert took["create"] >= 1.5
    assert took["get"] < 0.5

    started = time.monotonic()
    intent_new(client, customer, 100, {})
    assert time.monotonic() - started < 0.5  # the delay went with the block


def test_delay_paths_match_one_segment_per_placeholder(stripe_standin):
    client = standin_client(stripe_standin)
    customer = client.v1.customers.create(params={"email": "segment@example.com"}).id
    with standin_delay(stripe_standin, "GET /v1/customers/{id}", 0.6):
        started = time.monotonic()
        client.v1.customers.retrieve(customer)
        assert time.monotonic() - started >= 0.6
        started = time.monotonic()
        client.v1.customers.list(params={"limit": 1})  # /v1/customers: not delayed
        assert time.monotonic() - started < 0.5


def test_delays_cleared_by_delete_and_after_a_failing_block(stripe_standin):
    rule = "POST /v1/payment_intents"
    standin_config(stripe_standin, "POST", "/_config/delays", {rule: 3, "GET /v1/charges": 2})
    assert standin_config(stripe_standin, "GET", "/_config/delays") == {
        rule: 3.0,
        "GET /v1/charges": 2.0,
    }
    assert standin_config(stripe_standin, "DELETE", "/_config/delays") == {}
    assert standin_config(stripe_standin, "GET", "/_config/delays") == {}

    with pytest.raises(RuntimeError), standin_delay(stripe_standin, rule, 3):
        assert standin_config(stripe_standin, "GET", "/_config/delays") == {rule: 3.0}
        raise RuntimeError("the test failed inside the block")
    assert standin_config(stripe_standin, "GET", "/_config/delays") == {}


@pytest.mark.parametrize(
    "body",
    [
        {"POST /v1/payment_intents": 1, "PATCH /v1/charges": 1},
        {"POST /v1/payment_intents": 1, "POST v1/charges": 1},
        {"POST /v1/payment_intents": 1, "GET /v1/charges": "soon"},
        {"POST /v1/payment_intents": 1, "GET /v1/charges": True},
        {"POST /v1/payment_intents": 1, "GET /v1/charges": -1},
        {"POST /v1/payment_intents": 1, "GET /v1/charges": 3600},
        ["POST /v1/payment_intents", 1],
        {},
    ],
)
def test_bad_delays_refused_and_nothing_set(stripe_standin, body):
    import urllib.error

    with pytest.raises(urllib.error.HTTPError) as caught:
        standin_config(stripe_standin, "POST", "/_config/delays", body)
    assert caught.value.code == 400
    assert json.loads(caught.value.read())["error"]["message"]
    assert standin_config(stripe_standin, "GET", "/_config/delays") == {}
