"""A payment gateway in the test's own process, for fast tests of the billing rules.

``FakeGateway`` answers the calls ``shop.gateway`` offers (customers, SetupIntents, saved
cards, off-session and on-session charges, cancels, refunds, the lists reconcile and the
invariants read) with the gateway's own frozen results and errors, from a few dicts in
memory: no process, no HTTP. The ``fake_gateway`` fixture swaps it in for one test.

The test cards behave as at the Stripe stand-in (localstripe), so one test can run on
either: 4242 4242 4242 4242 pays; 4000 0000 0000 0341 is saved but declined when charged;
4000 0025 0000 3155 asks for the bank's check when saved and at every charge; 4000 0000 0000
0002 is declined when saved. ``CARD_PROCESSING`` is the fake's own: its charges stay
"processing" until ``settle``. ``unavailable = True`` makes every call fail as when Stripe
cannot be reached.

Where the stand-in and Stripe differ the fake follows Stripe: a charge retried with the same
idempotency key answers what the first one did, and a refund of a payment that took no
money is refused as a bad request.
"""

import hashlib
import inspect
import itertools
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shop import gateway
from shop.gateway import client as gateway_client
from shop.gateway import testing as gateway_testing
from shop.gateway.errors import MESSAGE_CONFIGURATION, card_message_for

CARD_OK = "4242424242424242"
CARD_DECLINED_WHEN_SAVED = "4000000000000002"
CARD_DECLINED_WHEN_CHARGED = "4000000000000341"
CARD_AUTHENTICATION = "4000002500003155"
CARD_PROCESSING = "4000000000000077"

# The stand-in's lists, as localstripe keeps them.
_DECLINED_WHEN_SAVED = frozenset(
    {
        CARD_DECLINED_WHEN_SAVED,
        "4000000000009995",
        "4000000000009987",
        "4000000000009979",
        "4000000000000069",
        "4000000000000127",
        "4000000000000119",
        "4242424242424241",
    }
)
_AUTHENTICATION = frozenset(
    {
        CARD_AUTHENTICATION,
        "4000002760003184",
        "4000008260003178",
        "4000000000003220",
        "4000000000003063",
        "4000008400001629",
    }
)
_DECLINED_WHEN_CHARGED = frozenset(
    {CARD_DECLINED_WHEN_CHARGED, "4000008260003178", "4000008400001629"}
)

# The gateway's calls the fake answers: every function it exports but the two that need no
# provider (webhook signatures, currencies), which stay the real ones.
STAYS_REAL = frozenset({"currency_supported", "webhook_event_construct"})
CALLS = tuple(
    name
    for name in gateway.__all__
    if name not in STAYS_REAL and inspect.isfunction(getattr(gateway, name))
)


@dataclass
class _Card:
    id: str
    number: str
    exp_month: int
    exp_year: int
    customer_id: str | None = None

    @property
    def fingerprint(self) -> str:
        # The same number gives the same fingerprint, as at the stand-in.
        return hashlib.sha1(self.number.encode()).hexdigest()[:16]  # noqa: S324


@dataclass
class _SetupIntent:
    id: str
    customer_id: str | None
    usage: str
    metadata: dict[str, str]
    client_secret: str
    status: str = "requires_payment_method"
    payment_method_id: str | None = None
    failure_code: str = ""


@dataclass
class _PaymentIntent:
    id: str
    amount_cents: int
    currency: str
    customer_id: str
    payment_method_id: str | None
    metadata: dict[str, str]
    client_secret: str
    # Stripe's own status: succeeded, processing, requires_action, requires_payment_method,
    # canceled.
    status: str = "requires_confirmation"
    error_code: str = ""
    charge_id: str | None = None
    refunds: list[int] = field(default_factory=list)

    @property
    def refunded_cents(self) -> int:
        return sum(self.refunds)


class FakeGateway:
    """Stripe as the gateway sees it, in memory. Safe to call from several threads."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._numbers = itertools.count(1)
        self.customers: dict[str, dict[str, Any]] = {}
        self.cards: dict[str, _Card] = {}
        self.setup_intents: dict[str, _SetupIntent] = {}
        # In creation order, as Stripe lists them newest first.
        self.payment_intents: dict[str, _PaymentIntent] = {}
        self._answers: dict[str, Any] = {}
        # Every call the billing code made, as (name, keyword arguments).
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.unavailable = False

    # --- the provider's side ---------------------------------------------------------

    def _id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._numbers):06d}"

    def _call(self, call: str, /, **kwargs: Any) -> None:
        self.calls.append((call, kwargs))
        if self.unavailable:
            error = gateway.PaymentProviderUnavailable()
            error.action = call
            raise error

    def _again(self, name: str, idempotency_key: str | None, make):
        """Stripe's idempotency: a request repeated with the same key answers as the first."""
        if not idempotency_key:
            return make()
        key = f"{name}:{idempotency_key}"
        if key not in self._answers:
            self._answers[key] = make()
        return self._answers[key]

    def _card(self, payment_method_id: str) -> _Card:
        card = self.cards.get(payment_method_id)
        if card is None:
            raise gateway.ProviderObjectMissing()
        return card

    def _card_info(self, card: _Card) -> gateway.CardInfo:
        return gateway.CardInfo(
            id=card.id,
            customer_id=card.customer_id,
            brand="visa",
            last4=card.number[-4:],
            exp_month=card.exp_month,
            exp_year=card.exp_year,
            fingerprint=card.fingerprint,
            country="FR",
        )

    def _setup_info(self, intent: _SetupIntent) -> gateway.SetupIntentInfo:
        return gateway.SetupIntentInfo(
            id=intent.id,
            status=intent.status,
            client_secret=intent.client_secret,
            customer_id=intent.customer_id,
            payment_method_id=intent.payment_method_id,
            metadata=dict(intent.metadata),
            failure_code=intent.failure_code,
        )

    def _charge_result(self, intent: _PaymentIntent) -> gateway.ChargeResult:
        """The result the real gateway makes of the PaymentIntent (see client._charge_status)."""
        code = ""
        if intent.status == "succeeded":
            status = "succeeded"
        elif intent.status == "processing":
            status = "processing"
        elif intent.status == "canceled":
            status, code = "failed", "canceled"
        elif intent.status == "requires_action" or intent.error_code == "authentication_required":
            status, code = "requires_action", intent.error_code or "authentication_required"
        else:
            status, code = "failed", intent.error_code or "payment_failed"
        return gateway.ChargeResult(
            status=status,
            payment_intent_id=intent.id,
            client_secret=intent.client_secret,
            failure_code=code,
            failure_message=card_message_for("", code) if code else "",
            amount_cents=intent.amount_cents,
            metadata=dict(intent.metadata),
            currency=intent.currency,
            customer_id=intent.customer_id,
        )

    def _payment_intent(self, payment_intent_id: str) -> _PaymentIntent:
        intent = self.payment_intents.get(payment_intent_id)
        if intent is None:
            raise gateway.ProviderObjectMissing()
        return intent

    def _take(self, intent: _PaymentIntent, card: _Card) -> None:
        """Charge the card for the PaymentIntent now that no check stands in the way."""
        intent.charge_id = self._id("ch")
        if card.number in _DECLINED_WHEN_CHARGED:
            intent.status, intent.error_code = "requires_payment_method", "card_declined"
        elif card.number == CARD_PROCESSING:
            intent.status = "processing"
        else:
            intent.status = "succeeded"

    # --- the calls of shop.gateway ----------------------------------------------------

    def customer_create(
        self,
        *,
        email: str,
        name: str,
        metadata: dict[str, str],
        idempotency_key: str | None = None,
    ) -> str:
        with self._lock:
            self._call("customer_create", email=email, name=name, metadata=metadata)

            def make() -> str:
                customer_id = self._id("cus")
                self.customers[customer_id] = {"email": email, "name": name, **metadata}
                return customer_id

            return self._again("customer_create", idempotency_key, make)

    def setup_intent_create(
        self,
        *,
        customer_id: str,
        metadata: dict[str, str],
        idempotency_key: str | None = None,
        usage: str = "off_session",
    ) -> gateway.SetupIntentInfo:
        if usage not in ("off_session", "on_session"):
            raise ValueError("usage must be off_session or on_session")
        with self._lock:
            self._call("setup_intent_create", customer_id=customer_id, metadata=metadata)
            if customer_id not in self.customers:
                raise gateway.ProviderObjectMissing()

            def make() -> _SetupIntent:
                intent_id = self._id("seti")
                intent = _SetupIntent(
                    id=intent_id,
                    customer_id=customer_id,
                    usage=usage,
                    metadata=dict(metadata),
                    client_secret=f"{intent_id}_secret_{secrets.token_hex(8)}",
                )
                self.setup_intents[intent_id] = intent
                return intent

            return self._setup_info(self._again("setup_intent_create", idempotency_key, make))

    def setup_intent_retrieve(self, setup_intent_id: str) -> gateway.SetupIntentInfo:
        with self._lock:
            self._call("setup_intent_retrieve", setup_intent_id=setup_intent_id)
            intent = self.setup_intents.get(setup_intent_id)
            if intent is None:
                raise gateway.ProviderObjectMissing()
            return self._setup_info(intent)

    def card_details(self, payment_method_id: str) -> gateway.CardInfo:
        with self._lock:
            self._call("card_details", payment_method_id=payment_method_id)
            return self._card_info(self._card(payment_method_id))

    def card_attach(self, *, payment_method_id: str, customer_id: str) -> gateway.CardInfo:
        with self._lock:
            self._call("card_attach", payment_method_id=payment_method_id, customer_id=customer_id)
            card = self._card(payment_method_id)
            if card.customer_id == customer_id:
                return self._card_info(card)
            if card.customer_id is not None:
                raise gateway.CardNotUsable(code="card_of_another_customer")
            if customer_id not in self.customers:
                raise gateway.ProviderObjectMissing()
            if card.number in _DECLINED_WHEN_SAVED:
                raise gateway.CardNotUsable(card_message_for("card_declined"), code="card_declined")
            card.customer_id = customer_id
            return self._card_info(card)

    def _confirm_new(self, name: str, **request: Any) -> gateway.ChargeResult:
        if request["amount_cents"] <= 0:
            raise ValueError("amount_cents must be a positive number of cents")
        if not request["idempotency_key"]:
            raise ValueError("idempotency_key is required: a retried charge must not charge twice")
        with self._lock:
            self._call(name, **request)
            if request["customer_id"] not in self.customers:
                raise gateway.ProviderObjectMissing()
            card = self._card(request["payment_method_id"])

            def make() -> _PaymentIntent:
                intent_id = self._id("pi")
                intent = _PaymentIntent(
                    id=intent_id,
                    amount_cents=request["amount_cents"],
                    currency=request["currency"].lower(),
                    customer_id=request["customer_id"],
                    payment_method_id=card.id,
                    metadata=dict(request["metadata"]),
                    client_secret=f"{intent_id}_secret_{secrets.token_hex(8)}",
                )
                self.payment_intents[intent_id] = intent
                if card.number in _AUTHENTICATION:
                    intent.status = "requires_action"
                else:
                    self._take(intent, card)
                return intent

            intent = self._again(name, request["idempotency_key"], make)
            result = self._charge_result(intent)
            if result.status == "failed":
                # A decline comes back as the error's result: the request's own amount
                # and metadata, the issuer's codes.
                return gateway.ChargeResult(
                    status="failed",
                    payment_intent_id=intent.id,
                    client_secret=None,
                    failure_code=intent.error_code,
                    failure_message=card_message_for("", intent.error_code),
                    amount_cents=request["amount_cents"],
                    metadata=dict(request["metadata"]),
                    currency=request["currency"].lower(),
                    customer_id=request["customer_id"],
                )
            return result

    def charge_off_session(self, **request: Any) -> gateway.ChargeResult:
        return self._confirm_new("charge_off_session", **request)

    def payment_intent_create_on_session(self, **request: Any) -> gateway.ChargeResult:
        return self._confirm_new("payment_intent_create_on_session", **request)

    def payment_intent_retrieve(self, payment_intent_id: str) -> gateway.ChargeResult:
        with self._lock:
            self._call("payment_intent_retrieve", payment_intent_id=payment_intent_id)
            return self._charge_result(self._payment_intent(payment_intent_id))

    def payment_intent_cancel(self, payment_intent_id: str) -> gateway.ChargeResult:
        with self._lock:
            self._call("payment_intent_cancel", payment_intent_id=payment_intent_id)
            intent = self._payment_intent(payment_intent_id)
            if intent.status in ("requires_payment_method", "requires_action"):
                intent.status = "canceled"
            return self._charge_result(intent)

    def payment_intents_for(
        self, *, customer_id: str, metadata_key: str, metadata_value: str
    ) -> list[gateway.ChargeResult]:
        # The same refusal as the real search for values it cannot quote.
        gateway_client._search_quoted(customer_id, what="customer id")
        gateway_client._search_quoted(metadata_key, what="metadata key")
        gateway_client._search_quoted(metadata_value, what="metadata value")
        with self._lock:
            self._call(
                "payment_intents_for",
                customer_id=customer_id,
                metadata_key=metadata_key,
                metadata_value=metadata_value,
            )
            return [
                self._charge_result(intent)
                for intent in reversed(self.payment_intents.values())
                if intent.customer_id == customer_id
                and intent.metadata.get(metadata_key) == metadata_value
            ]

    def payment_records_all(self) -> list[gateway.PaymentRecord]:
        with self._lock:
            self._call("payment_records_all")
            return [
                gateway.PaymentRecord(
                    payment_intent_id=intent.id,
                    status=intent.status,
                    amount_cents=intent.amount_cents,
                    currency=intent.currency,
                    customer_id=intent.customer_id,
                    metadata=dict(intent.metadata),
                    refunded_cents=intent.refunded_cents,
                )
                for intent in self.payment_intents.values()
            ]

    def refund_create(
        self,
        *,
        payment_intent_id: str,
        amount_cents: int | None,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> gateway.RefundInfo:
        if amount_cents is not None and amount_cents <= 0:
            raise ValueError("amount_cents must be positive, or None for the whole payment")
        if not idempotency_key:
            raise ValueError("idempotency_key is required: a retried refund must not refund twice")
        with self._lock:
            self._call(
                "refund_create",
                payment_intent_id=payment_intent_id,
                amount_cents=amount_cents,
                metadata=metadata,
            )
            intent = self._payment_intent(payment_intent_id)
            if intent.status != "succeeded":
                # Stripe's answer to a refund of a payment that took nothing: a bad request.
                raise gateway.GatewayError(MESSAGE_CONFIGURATION, code="configuration_error")

            def make() -> gateway.RefundInfo:
                amount = intent.amount_cents if amount_cents is None else amount_cents
                # Like the stand-in, more than was paid is not refused: the caller checks.
                intent.refunds.append(amount)
                return gateway.RefundInfo(
                    id=self._id("re"),
                    status="succeeded",
                    amount_cents=amount,
                    payment_intent_id=intent.id,
                )

            return self._again("refund_create", idempotency_key, make)

    # --- what the browser, the bank and the test do ----------------------------------

    def card_confirm_for_tests(
        self, *, setup_intent_id: str, card_number: str, bank_check: bool = False
    ) -> gateway.SetupIntentInfo:
        """What Stripe.js does: a card from a test number confirms the SetupIntent (as
        ``shop.gateway.testing.card_confirm_for_tests`` at the stand-in)."""
        with self._lock:
            self._call("card_confirm_for_tests", setup_intent_id=setup_intent_id)
            intent = self.setup_intents.get(setup_intent_id)
            if intent is None:
                raise gateway.ProviderObjectMissing()
            card = _Card(
                id=self._id("pm"),
                number=card_number,
                exp_month=12,
                exp_year=datetime.now(tz=UTC).year + 1,
            )
            self.cards[card.id] = card
            intent.payment_method_id = card.id
            if card_number in _DECLINED_WHEN_SAVED:
                intent.status = "canceled"
                raise gateway.CardNotUsable(card_message_for("card_declined"), code="card_declined")
            if card_number in _AUTHENTICATION and not bank_check:
                intent.status = "requires_action"
            else:
                intent.status = "succeeded"
            return self._setup_info(intent)

    def setup_intent_authenticate(self, setup_intent_id: str) -> None:
        """The cardholder passes the bank's check on a card being saved."""
        with self._lock:
            intent = self.setup_intents[setup_intent_id]
            if intent.status == "requires_action":
                intent.status = "succeeded"

    def bank_check_for_tests(self, *, payment_intent_id: str, success: bool) -> int:
        """The cardholder's answer in the bank's check on a waiting payment; returns the
        HTTP status the stand-in would (200, 400 when nothing waits, 402 for a decline)."""
        with self._lock:
            self._call("bank_check_for_tests", payment_intent_id=payment_intent_id)
            intent = self._payment_intent(payment_intent_id)
            if intent.status != "requires_action":
                return 400
            if not success:
                intent.status = "requires_payment_method"
                intent.error_code = "payment_intent_authentication_failure"
                intent.payment_method_id = None
                return 200
            self._take(intent, self._card(intent.payment_method_id or ""))
            return 402 if intent.status == "requires_payment_method" else 200

    def settle(self, payment_intent_id: str, *, succeeded: bool = True) -> None:
        """A payment left processing is decided: taken, or declined."""
        with self._lock:
            intent = self._payment_intent(payment_intent_id)
            if succeeded:
                intent.status = "succeeded"
            else:
                intent.status, intent.error_code = "requires_payment_method", "card_declined"

    def charge_payment_intent_id(self, charge_id: str) -> str | None:
        self._call("charge_payment_intent_id", charge_id=charge_id)
        with self._lock:
            for intent in self.payment_intents.values():
                if intent.charge_id == charge_id:
                    return intent.id
        raise gateway.ProviderObjectMissing()

    # Disputes: files and evidence kept as sent (the stand-in has no disputes; the gateway's
    # own calls are tested against Stripe's recorded answers, tests/shop/test_gateway_disputes).

    def dispute_file_upload(self, *, file_name: str, content: bytes) -> str:
        self._call("dispute_file_upload", file_name=file_name)
        if not content:
            raise ValueError("an empty file cannot be evidence")
        with self._lock:
            file_id = self._id("file")
            self._answers[file_id] = content
            return file_id

    def dispute_evidence_submit(
        self, *, dispute_id: str, evidence: dict[str, str], idempotency_key: str
    ) -> gateway.DisputeInfo:
        self._call(
            "dispute_evidence_submit",
            dispute_id=dispute_id,
            evidence=dict(evidence),
            idempotency_key=idempotency_key,
        )
        return gateway.DisputeInfo(
            id=dispute_id,
            status="under_review",
            amount_cents=0,
            currency="usd",
            reason="",
            evidence_due_by=None,
            submission_count=1,
        )

    def payment_intent_object(self, payment_intent_id: str) -> dict[str, Any]:
        """The PaymentIntent as Stripe's API and its events show it (plain JSON)."""
        with self._lock:
            intent = self._payment_intent(payment_intent_id)
            charge = None
            if intent.charge_id:
                charge = {
                    "id": intent.charge_id,
                    "object": "charge",
                    "amount": intent.amount_cents,
                    "amount_refunded": intent.refunded_cents,
                    "refunded": intent.refunded_cents >= intent.amount_cents,
                    "payment_intent": intent.id,
                }
            error = {"code": intent.error_code} if intent.error_code else None
            return {
                "id": intent.id,
                "object": "payment_intent",
                "amount": intent.amount_cents,
                "currency": intent.currency,
                "customer": intent.customer_id,
                "payment_method": intent.payment_method_id,
                "status": intent.status,
                "metadata": dict(intent.metadata),
                "client_secret": intent.client_secret,
                "latest_charge": charge,
                "last_payment_error": error,
            }

    def payment_intent_objects(self, customer_id: str) -> list[dict[str, Any]]:
        """Every PaymentIntent of the customer as Stripe's API lists them, newest first."""
        with self._lock:
            return [
                self.payment_intent_object(intent.id)
                for intent in reversed(self.payment_intents.values())
                if intent.customer_id == customer_id
            ]

    def install(self, monkeypatch) -> "FakeGateway":
        """Answer every call of ``shop.gateway`` (and its test helpers) for this test."""
        for name in CALLS:
            monkeypatch.setattr(gateway, name, getattr(self, name))
        monkeypatch.setattr(gateway_testing, "card_confirm_for_tests", self.card_confirm_for_tests)
        monkeypatch.setattr(gateway_testing, "bank_check_for_tests", self.bank_check_for_tests)
        return self
