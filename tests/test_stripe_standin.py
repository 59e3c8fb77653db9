"""The local Stripe stand-in started by `make run` and the tests: loopback only, no disk dump,
and answering stripe-python over real HTTP."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import stripe

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
