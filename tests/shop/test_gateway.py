"""The payment gateway against the real Stripe stand-in over HTTP: no mocks.

The stand-in's state is shared by the whole session, so every test makes its own customers.
"""

import ast
import json
import logging
import os
import socket
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from shop import gateway
from shop.gateway.testing import card_confirm_for_tests, webhook_signature_header
from tests.shop.standin import standin_requests
from tests.support import ROOT
from tests.support.processes import free_port

CARD_OK = "4242424242424242"
CARD_OK_OTHER = "5555555555554444"
CARD_DECLINED_AT_SAVING = "4000000000000002"
CARD_DECLINED_AT_CHARGE = "4000000000000341"
CARD_AUTHENTICATION = "4000002500003155"

WEBHOOK_SECRET = "whsec_gateway_tests"


@pytest.fixture
def standin(stripe_standin, settings):
    """The gateway pointed at the session's stand-in."""
    settings.STRIPE_API_BASE = stripe_standin
    settings.STRIPE_SECRET_KEY = "sk_test_gateway_tests"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return stripe_standin


def customer_new() -> str:
    return gateway.customer_create(
        email=f"reader-{uuid.uuid4().hex[:8]}@example.com",
        name="Pat Reader",
        metadata={"user_id": "42"},
    )


def card_saved(customer_id: str, card_number: str = CARD_OK) -> gateway.SetupIntentInfo:
    """A card saved and attached to the customer, as checkout would do it."""
    intent = gateway.setup_intent_create(customer_id=customer_id, metadata={"order": "100"})
    confirmed = card_confirm_for_tests(setup_intent_id=intent.id, card_number=card_number)
    gateway.card_attach(payment_method_id=confirmed.payment_method_id, customer_id=customer_id)
    return confirmed


def charge(customer_id: str, payment_method_id: str, attempt: str) -> gateway.ChargeResult:
    return gateway.charge_off_session(
        customer_id=customer_id,
        payment_method_id=payment_method_id,
        amount_cents=9850,
        currency="usd",
        metadata={"attempt": attempt},
        idempotency_key=f"charge-{attempt}",
    )


# Saving a card


def test_card_saved_and_attached(standin):
    customer_id = customer_new()
    intent = gateway.setup_intent_create(customer_id=customer_id, metadata={"order": "100"})
    assert intent.id.startswith("seti_")
    assert intent.client_secret
    assert intent.customer_id == customer_id
    assert intent.payment_method_id is None
    assert intent.metadata == {"order": "100"}

    confirmed = card_confirm_for_tests(setup_intent_id=intent.id, card_number=CARD_OK)
    assert confirmed.status == "succeeded"
    assert confirmed.payment_method_id.startswith("pm_")
    assert gateway.setup_intent_retrieve(intent.id) == confirmed

    # The stand-in leaves the card unattached after confirmation; attaching fixes that.
    assert gateway.card_details(confirmed.payment_method_id).customer_id is None
    card = gateway.card_attach(
        payment_method_id=confirmed.payment_method_id, customer_id=customer_id
    )
    assert card.customer_id == customer_id
    assert gateway.card_details(confirmed.payment_method_id) == card
    assert (card.brand, card.last4, card.exp_month) == ("visa", "4242", 12)
    assert card.exp_year == datetime.now(tz=UTC).year + 1
    assert card.fingerprint
    # Attaching again to the same customer changes nothing.
    assert (
        gateway.card_attach(payment_method_id=card.id, customer_id=customer_id).customer_id
        == customer_id
    )


def test_fingerprint_stable_per_card_number(standin):
    first = card_saved(customer_new())
    second = card_saved(customer_new())
    other = card_saved(customer_new(), CARD_OK_OTHER)
    fingerprints = [
        gateway.card_details(s.payment_method_id).fingerprint for s in (first, second, other)
    ]
    assert fingerprints[0] == fingerprints[1]
    assert fingerprints[0] != fingerprints[2]


def test_card_of_another_customer_refused(standin):
    owner = customer_new()
    saved = card_saved(owner)
    with pytest.raises(gateway.CardNotUsable) as caught:
        gateway.card_attach(payment_method_id=saved.payment_method_id, customer_id=customer_new())
    assert caught.value.user_message == "This card could not be used. Please try another card."
    assert gateway.card_details(saved.payment_method_id).customer_id == owner


def test_card_declined_at_saving(standin):
    customer_id = customer_new()
    intent = gateway.setup_intent_create(customer_id=customer_id, metadata={})
    with pytest.raises(gateway.CardNotUsable) as caught:
        card_confirm_for_tests(setup_intent_id=intent.id, card_number=CARD_DECLINED_AT_SAVING)
    assert caught.value.code == "card_declined"
    assert caught.value.user_message == "Your card was declined. Please try another card."
    # What the success page would find when it checks with the provider.
    assert gateway.setup_intent_retrieve(intent.id).status == "canceled"


def test_card_asking_for_authentication_at_saving(standin):
    intent = gateway.setup_intent_create(customer_id=customer_new(), metadata={})
    confirmed = card_confirm_for_tests(setup_intent_id=intent.id, card_number=CARD_AUTHENTICATION)
    assert confirmed.status == "requires_action"


# Charging


def test_off_session_charge_succeeds(standin):
    customer_id = customer_new()
    saved = card_saved(customer_id)
    result = charge(customer_id, saved.payment_method_id, f"ok-{uuid.uuid4().hex}")
    assert result.status == "succeeded"
    assert result.payment_intent_id.startswith("pi_")
    assert result.amount_cents == 9850
    assert (result.failure_code, result.failure_message) == ("", "")
    assert gateway.payment_intent_retrieve(result.payment_intent_id).status == "succeeded"


def test_off_session_decline_is_a_result_not_an_exception(standin):
    customer_id = customer_new()
    saved = card_saved(customer_id, CARD_DECLINED_AT_CHARGE)
    assert saved.status == "succeeded"
    result = charge(customer_id, saved.payment_method_id, f"declined-{uuid.uuid4().hex}")
    assert result.status == "failed"
    assert result.failure_code == "card_declined"
    assert result.decline_code == ""
    assert result.failure_message == "Your card was declined. Please try another card."
    assert result.payment_intent_id.startswith("pi_")

    recorded = gateway.payment_intent_retrieve(result.payment_intent_id)
    assert (recorded.status, recorded.failure_code) == ("failed", "card_declined")
    assert recorded.amount_cents == 9850


def test_off_session_charge_needing_authentication(standin):
    customer_id = customer_new()
    intent = gateway.setup_intent_create(customer_id=customer_id, metadata={})
    confirmed = card_confirm_for_tests(setup_intent_id=intent.id, card_number=CARD_AUTHENTICATION)
    gateway.card_attach(payment_method_id=confirmed.payment_method_id, customer_id=customer_id)
    result = charge(customer_id, confirmed.payment_method_id, f"auth-{uuid.uuid4().hex}")
    assert result.status == "requires_action"
    assert result.client_secret.startswith(result.payment_intent_id)
    assert result.failure_code == "authentication_required"
    assert "confirm" in result.failure_message
    assert gateway.payment_intent_retrieve(result.payment_intent_id).status == "requires_action"


def test_payment_intents_for_finds_a_charge_by_metadata(standin):
    customer_id = customer_new()
    saved = card_saved(customer_id)
    attempt = f"reconcile-{uuid.uuid4().hex}"
    made = charge(customer_id, saved.payment_method_id, attempt)
    charge(customer_id, saved.payment_method_id, f"other-{uuid.uuid4().hex}")
    # Another customer's charge with the same metadata is not theirs.
    other_customer = customer_new()
    charge(other_customer, card_saved(other_customer).payment_method_id, attempt)

    found = gateway.payment_intents_for(
        customer_id=customer_id, metadata_key="attempt", metadata_value=attempt
    )
    assert [r.payment_intent_id for r in found] == [made.payment_intent_id]
    assert found[0].status == "succeeded"
    assert found[0].metadata == {"attempt": attempt}
    assert (
        gateway.payment_intents_for(
            customer_id=customer_id, metadata_key="attempt", metadata_value="never"
        )
        == []
    )


def test_payment_intents_for_searches_instead_of_listing_the_account(standin):
    customer_id = customer_new()
    saved = card_saved(customer_id)
    attempt = f"search-{uuid.uuid4().hex}"
    made = charge(customer_id, saved.payment_method_id, attempt)

    with standin_requests(standin) as received:
        found = gateway.payment_intents_for(
            customer_id=customer_id, metadata_key="attempt", metadata_value=attempt
        )
    assert [r.payment_intent_id for r in found] == [made.payment_intent_id]
    # One search naming the customer and the value, then the payment found read by id;
    # never the account's list of payments.
    assert [(r["method"], r["path"]) for r in received] == [
        ("GET", "/v1/payment_intents/search"),
        ("GET", f"/v1/payment_intents/{made.payment_intent_id}"),
    ]
    query = parse_qs(received[0]["query"])["query"][0]
    assert query == f"customer:'{customer_id}' AND metadata['attempt']:'{attempt}'"


def test_payment_intents_for_reads_every_page(standin, monkeypatch):
    monkeypatch.setattr("shop.gateway.client.SEARCH_PAGE_SIZE", 2)
    customer_id = customer_new()
    saved = card_saved(customer_id)
    attempt = f"pages-{uuid.uuid4().hex}"
    made = [
        gateway.charge_off_session(
            customer_id=customer_id,
            payment_method_id=saved.payment_method_id,
            amount_cents=100 + n,
            currency="usd",
            metadata={"attempt": attempt},
            idempotency_key=f"{attempt}-{n}",
        )
        for n in range(5)
    ]
    charge(customer_id, saved.payment_method_id, f"other-{uuid.uuid4().hex}")

    with standin_requests(standin) as received:
        found = gateway.payment_intents_for(
            customer_id=customer_id, metadata_key="attempt", metadata_value=attempt
        )
    assert [r.payment_intent_id for r in found] == [m.payment_intent_id for m in reversed(made)]
    assert [r.amount_cents for r in found] == [104, 103, 102, 101, 100]
    searches = [r for r in received if r["path"] == "/v1/payment_intents/search"]
    assert len(searches) == 3  # pages of 2, 2 and 1
    assert "page" not in parse_qs(searches[0]["query"])
    assert all("page" in parse_qs(r["query"]) for r in searches[1:])
    assert len(received) == 3 + 5  # and each payment found read by id


@pytest.mark.parametrize(
    "field, value",
    [
        ("metadata_value", "1' OR metadata['plan_id']:'2"),
        ("metadata_value", 'x" OR customer:"cus_other'),
        ("metadata_value", "back\\slash"),
        ("metadata_key", "plan_id']:'1' OR metadata['x"),
        ("customer_id", "cus_x' OR customer:'cus_y"),
        ("metadata_value", ""),
    ],
)
def test_payment_intents_for_refuses_values_that_would_change_the_search(standin, field, value):
    arguments = {"customer_id": "cus_x", "metadata_key": "plan_id", "metadata_value": "1"}
    arguments[field] = value
    with standin_requests(standin) as received, pytest.raises(ValueError) as caught:
        gateway.payment_intents_for(**arguments)
    assert "cannot be searched" in str(caught.value)
    assert received == []  # refused before anything was sent


def test_charge_arguments_checked_before_calling(standin):
    with pytest.raises(ValueError):
        gateway.charge_off_session(
            customer_id="cus_x",
            payment_method_id="pm_x",
            amount_cents=0,
            currency="usd",
            metadata={},
            idempotency_key="k",
        )
    with pytest.raises(ValueError):
        gateway.charge_off_session(
            customer_id="cus_x",
            payment_method_id="pm_x",
            amount_cents=9850,
            currency="usd",
            metadata={},
            idempotency_key="",
        )


# Refunds


def test_refund_full_and_partial(standin):
    customer_id = customer_new()
    saved = card_saved(customer_id)
    first = charge(customer_id, saved.payment_method_id, f"refund-{uuid.uuid4().hex}")
    second = charge(customer_id, saved.payment_method_id, f"refund-{uuid.uuid4().hex}")

    full = gateway.refund_create(
        payment_intent_id=first.payment_intent_id,
        amount_cents=None,
        metadata={"reason": "quit"},
        idempotency_key=f"refund-{first.payment_intent_id}",
    )
    assert full.id.startswith("re_")
    assert (full.status, full.amount_cents) == ("succeeded", 9850)
    assert full.payment_intent_id == first.payment_intent_id

    partial = gateway.refund_create(
        payment_intent_id=second.payment_intent_id,
        amount_cents=1000,
        metadata={},
        idempotency_key=f"refund-{second.payment_intent_id}",
    )
    assert (partial.status, partial.amount_cents) == ("succeeded", 1000)
    assert partial.payment_intent_id == second.payment_intent_id


def test_refund_of_a_failed_payment_is_a_gateway_error(standin, caplog):
    customer_id = customer_new()
    saved = card_saved(customer_id, CARD_DECLINED_AT_CHARGE)
    failed = charge(customer_id, saved.payment_method_id, f"failed-{uuid.uuid4().hex}")
    with (
        caplog.at_level(logging.ERROR, logger="shop.gateway"),
        pytest.raises(gateway.GatewayError) as caught,
    ):
        gateway.refund_create(
            payment_intent_id=failed.payment_intent_id,
            amount_cents=None,
            metadata={},
            idempotency_key=f"refund-{failed.payment_intent_id}",
        )
    assert type(caught.value) is gateway.GatewayError
    assert "Cannot refund" not in caught.value.user_message
    assert "Cannot refund" in caplog.text


# Webhooks


def event_payload(**overrides) -> bytes:
    event = {
        "id": f"evt_{uuid.uuid4().hex[:14]}",
        "object": "event",
        "type": "setup_intent.succeeded",
        "created": 1_767_225_600,
        "livemode": False,
        "data": {
            "object": {
                "id": "seti_123",
                "object": "setup_intent",
                "status": "succeeded",
                "metadata": {"order": "100"},
                "payment_method_types": ["card"],
                "last_setup_error": None,
            }
        },
        **overrides,
    }
    return json.dumps(event).encode()


def test_signed_webhook_gives_the_event(standin):
    payload = event_payload()
    event = gateway.webhook_event_construct(
        payload=payload,
        signature_header=webhook_signature_header(payload, secret=WEBHOOK_SECRET),
    )
    assert event.type == "setup_intent.succeeded"
    assert event.id.startswith("evt_")
    assert event.created == datetime(2026, 1, 1, tzinfo=UTC)
    assert event.livemode is False
    assert event.object["metadata"] == {"order": "100"}
    assert event.object["payment_method_types"] == ["card"]
    # Plain data all the way down: it can be stored as JSON as it is.
    assert type(event.object) is dict
    assert type(event.object["metadata"]) is dict
    assert json.loads(json.dumps(event.object)) == event.object


@pytest.mark.parametrize(
    "case",
    ["wrong secret", "tampered payload", "old timestamp", "garbage header", "not json"],
)
def test_unverifiable_webhook_refused(standin, case):
    payload = event_payload()
    secret, timestamp, sent = WEBHOOK_SECRET, None, payload
    if case == "wrong secret":
        secret = "whsec_someone_else"
    elif case == "tampered payload":
        sent = payload.replace(b"succeeded", b"canceled")
    elif case == "old timestamp":
        timestamp = int(time.time()) - 3600
    elif case == "not json":
        payload = sent = b"not json at all"
    header = webhook_signature_header(payload, secret=secret, timestamp=timestamp)
    if case == "garbage header":
        header = "garbage"
    with pytest.raises(gateway.WebhookSignatureInvalid) as caught:
        gateway.webhook_event_construct(payload=sent, signature_header=header)
    assert caught.value.code.startswith("webhook_")


@pytest.mark.parametrize("body", [b"0", b"[]", b'"evt"', b"null", b"true", b"1.5"])
def test_a_signed_body_that_is_json_but_not_an_object_is_refused(standin, body):
    """Signed JSON that is not an object (a number, a list, a string) is refused as an
    unreadable event, not a crash of the webhook view."""
    with pytest.raises(gateway.WebhookSignatureInvalid) as caught:
        gateway.webhook_event_construct(
            payload=body, signature_header=webhook_signature_header(body, secret=WEBHOOK_SECRET)
        )
    assert caught.value.code == "webhook_payload_invalid"


def test_webhook_refused_without_a_secret(standin, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    payload = event_payload()
    with pytest.raises(gateway.WebhookSignatureInvalid):
        gateway.webhook_event_construct(
            payload=payload, signature_header=webhook_signature_header(payload, secret="")
        )


# When the provider cannot be used


def test_provider_unreachable(settings):
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(gateway.PaymentProviderUnavailable) as caught:
        gateway.customer_create(email="reader@example.com", name="Pat", metadata={})
    assert time.monotonic() - started < 10
    assert caught.value.user_message == (
        "We could not reach our payment provider just now. Nothing has been charged; "
        "please try again in a few minutes."
    )
    assert caught.value.code == "provider_unavailable"


def test_charge_with_provider_unreachable_raises(settings):
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(gateway.PaymentProviderUnavailable):
        charge("cus_x", "pm_x", "unreachable")
    assert time.monotonic() - started < 10


def test_provider_silent_times_out(settings):
    # A socket that listens but never answers: the connection opens, the answer never comes.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        settings.STRIPE_API_BASE = f"http://127.0.0.1:{silent.getsockname()[1]}"
        settings.STRIPE_READ_TIMEOUT_SECONDS = 0.3
        settings.STRIPE_MAX_NETWORK_RETRIES = 0
        started = time.monotonic()
        with pytest.raises(gateway.PaymentProviderUnavailable):
            charge("cus_x", "pm_x", "silent")
        assert time.monotonic() - started < 5


def test_bad_api_key_does_not_leak(standin, settings, caplog):
    settings.STRIPE_SECRET_KEY = "sk_x"
    with (
        caplog.at_level(logging.INFO, logger="shop.gateway"),
        pytest.raises(gateway.GatewayError) as caught,
    ):
        gateway.customer_create(email="reader@example.com", name="Pat", metadata={})
    error = caught.value
    assert type(error) is gateway.GatewayError
    assert "sk_x" not in error.user_message
    assert "sk_x" not in str(error)
    assert "sk_x" not in caplog.text
    assert any(r.levelno == logging.ERROR for r in caplog.records)


def test_card_details_of_an_unknown_card_is_a_gateway_error(standin):
    with pytest.raises(gateway.GatewayError) as caught:
        gateway.card_details("pm_doesnotexist")
    assert not isinstance(caught.value, gateway.PaymentProviderUnavailable)


# The boundary


def project_python_files(skipped: set[str]):
    """The project's Python files, not walking into hidden folders (virtualenvs, .git) or
    the ``skipped`` ones at all: walking a virtualenv to drop it costs seconds."""
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [
            name
            for name in subfolders
            if not name.startswith(".")
            and name != "node_modules"
            and not (Path(folder) == ROOT and name in skipped)
        ]
        yield from (Path(folder) / name for name in files if name.endswith(".py"))


def test_only_the_gateway_imports_stripe():
    skipped = {"tests", "scripts", "var"}
    offenders = []
    for path in project_python_files(skipped):
        relative = path.relative_to(ROOT)
        if relative.parts[:2] == ("shop", "gateway"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            if any(name == "stripe" or name.startswith("stripe.") for name in names):
                offenders.append(str(relative))
    assert offenders == []


def test_gateway_returns_plain_values():
    import dataclasses

    for result in (
        gateway.SetupIntentInfo,
        gateway.CardInfo,
        gateway.ChargeResult,
        gateway.RefundInfo,
        gateway.WebhookEvent,
    ):
        assert dataclasses.is_dataclass(result)
        assert result.__dataclass_params__.frozen


# Real Stripe's shapes the stand-in never produces, checked on constructed provider objects.


def test_translation_of_provider_errors():
    import stripe

    from shop.gateway.client import _error_translate

    def translated(err):
        return _error_translate(err, action="test")

    assert isinstance(
        translated(stripe.APIError("boom", http_status=500)), gateway.PaymentProviderUnavailable
    )
    assert isinstance(
        translated(stripe.RateLimitError("slow down", http_status=429)),
        gateway.PaymentProviderUnavailable,
    )
    assert isinstance(
        translated(stripe.APIConnectionError("reset")), gateway.PaymentProviderUnavailable
    )

    body = {
        "error": {
            "code": "card_declined",
            "decline_code": "insufficient_funds",
            "type": "card_error",
        }
    }
    declined = translated(
        stripe.CardError("declined", None, "card_declined", json_body=body, http_status=402)
    )
    assert isinstance(declined, gateway.CardDeclined)
    assert declined.decline_code == "insufficient_funds"
    assert "insufficient funds" in declined.user_message

    expired = translated(stripe.CardError("expired", None, "expired_card", http_status=402))
    assert isinstance(expired, gateway.CardNotUsable)
    assert expired.user_message == "Your card has expired. Please use another card."

    key = "sk_live_abcdefghijklmnop"
    auth = translated(
        stripe.AuthenticationError(f"Invalid API Key provided: {key}", http_status=401)
    )
    assert type(auth) is gateway.GatewayError
    assert key not in str(auth)


def test_real_stripe_off_session_authentication_shape():
    import stripe

    from shop.gateway.client import _charge_result

    intent = stripe.PaymentIntent.construct_from(
        {
            "id": "pi_real",
            "object": "payment_intent",
            "status": "requires_payment_method",
            "amount": 9850,
            "client_secret": "pi_real_secret_x",
            "latest_charge": "ch_real",
            "metadata": {"attempt": "a"},
            "last_payment_error": {
                "code": "authentication_required",
                "decline_code": "authentication_required",
            },
        },
        "sk_test_x",
    )
    result = _charge_result(intent)
    assert (result.status, result.failure_code) == ("requires_action", "authentication_required")
    assert result.client_secret == "pi_real_secret_x"
    assert result.metadata == {"attempt": "a"}
