"""Talking to Stripe: customers, saved cards, off-session charges, refunds, webhooks and
the evidence of disputes.

This is the only module in the project that imports `stripe`. Every function builds (or
reuses) a client from the current settings, so tests can point `STRIPE_API_BASE` anywhere,
and every provider error is translated in one place, `_error_translate`.
"""

import functools
import io
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings
from stripe.params import PaymentIntentListParams, PaymentIntentSearchParams, RefundCreateParams

from .errors import (
    AUTHENTICATION_REQUIRED,
    CARD_NOT_USABLE_CODES,
    MESSAGE_CONFIGURATION,
    RESOURCE_MISSING,
    CardDeclined,
    CardNotUsable,
    DisputeNotOpen,
    GatewayError,
    PaymentProviderUnavailable,
    ProviderObjectMissing,
    WebhookSignatureInvalid,
    card_message_for,
)
from .results import (
    CardInfo,
    ChargeResult,
    DisputeInfo,
    IntentStatus,
    PaymentRecord,
    PaymentStatus,
    RefundInfo,
    SetupIntentInfo,
    WebhookEvent,
)

logger = logging.getLogger(__name__)

# Stripe's own answer for webhooks older than this many seconds is "replay": refuse them.
WEBHOOK_TOLERANCE_SECONDS = 300

_KEY_PATTERN = re.compile(r"\b(sk|rk|pk|whsec)_[A-Za-z0-9_*]+")

# Results per page of a search, Stripe's maximum.
SEARCH_PAGE_SIZE = 100
# What a value in a search query may hold: our ids and Stripe's, nothing that quotes.
_SEARCH_SAFE = re.compile(r"[A-Za-z0-9_.:@-]+")


@functools.lru_cache(maxsize=8)
def _client_cached(
    api_key: str,
    api_base: str,
    connect_timeout: float,
    read_timeout: float,
    retries: int,
    files_base: str = "",
) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base, "files": files_base or api_base},
        max_network_retries=retries,
        http_client=stripe.RequestsClient(timeout=(connect_timeout, read_timeout)),
    )


def _client() -> stripe.StripeClient:
    """A client for the key, address and timeouts in the settings as they are now."""
    return _client_cached(
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_API_BASE,
        float(settings.STRIPE_CONNECT_TIMEOUT_SECONDS),
        float(settings.STRIPE_READ_TIMEOUT_SECONDS),
        int(settings.STRIPE_MAX_NETWORK_RETRIES),
        settings.STRIPE_FILES_BASE,
    )


def _redacted(text: str) -> str:
    """The text with anything shaped like an API key or webhook secret masked."""
    return _KEY_PATTERN.sub(lambda m: f"{m.group(1)}_***", text)


def _plain(value: Any) -> Any:
    """Provider objects turned into plain dicts and lists, all the way down."""
    if isinstance(value, stripe.StripeObject):
        return {k: _plain(v) for k, v in value.to_dict(recursive=False).items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _field(obj: Any, name: str, default: Any = None) -> Any:
    """A field of a provider object or dict, or `default` when absent (objects are not dicts)."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    try:
        value = obj[name]
    except (KeyError, TypeError):
        return default
    return default if value is None else value


def _id_of(value: Any) -> str | None:
    """An id whether the provider sent it as a string or as an expanded object."""
    if value is None or isinstance(value, str):
        return value
    return _field(value, "id")


def _metadata(obj: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (_plain(_field(obj, "metadata")) or {}).items()}


def _error_translate(
    err: stripe.StripeError, *, action: str, card_saving: bool = False
) -> GatewayError:
    """Our error for a provider error, naming the call that failed (for the caller's log)."""
    translated = _error_for(err, action=action, card_saving=card_saving)
    translated.action = action
    return translated


def _error_for(err: stripe.StripeError, *, action: str, card_saving: bool) -> GatewayError:
    """The one mapping from provider errors to ours; logs the technical detail.

    `card_saving` makes every card error a `CardNotUsable`: a card refused while being
    saved is not worth keeping, whatever the reason.
    """
    detail = _redacted(
        f"{type(err).__name__} during {action}: status={err.http_status} "
        f"code={err.code} request_id={err.request_id} message={err.user_message}"
    )
    if isinstance(err, stripe.APIConnectionError | stripe.RateLimitError | stripe.APIError) or (
        err.http_status is not None and err.http_status >= 500
    ):
        logger.warning("payment provider unavailable: %s", detail)
        return PaymentProviderUnavailable()
    if isinstance(err, stripe.CardError):
        decline_code = _field(err.error, "decline_code", "") or ""
        code = err.code or "card_declined"
        message = card_message_for(decline_code, code)
        logger.info("card refused: %s decline_code=%s", detail, decline_code)
        if card_saving or code in CARD_NOT_USABLE_CODES:
            return CardNotUsable(message, code=code)
        return CardDeclined(message, code=code, decline_code=decline_code)
    if isinstance(err, stripe.SignatureVerificationError):
        logger.warning("webhook refused: %s", detail)
        return WebhookSignatureInvalid()
    if isinstance(err, stripe.InvalidRequestError) and (
        err.http_status == 404 or err.code == RESOURCE_MISSING
    ):
        logger.warning("payment provider has no such object: %s", detail)
        return ProviderObjectMissing()
    # Authentication, permission, invalid request, idempotency conflict: our side is wrong.
    logger.error("payment provider refused the request: %s", detail)
    return GatewayError(MESSAGE_CONFIGURATION, code=err.code or "configuration_error")


@contextmanager
def _provider_errors(action: str, *, card_saving: bool = False) -> Iterator[None]:
    try:
        yield
    except stripe.StripeError as err:
        raise _error_translate(err, action=action, card_saving=card_saving) from err


def _setup_intent_info(intent: Any) -> SetupIntentInfo:
    return SetupIntentInfo(
        id=intent.id,
        status=intent.status,
        client_secret=_field(intent, "client_secret", ""),
        customer_id=_id_of(_field(intent, "customer")),
        payment_method_id=_id_of(_field(intent, "payment_method")),
        metadata=_metadata(intent),
        failure_code=_field(_field(intent, "last_setup_error"), "code", "") or "",
    )


def _card_info(method: Any) -> CardInfo:
    card = _field(method, "card")
    if _field(method, "type") != "card" or card is None:
        logger.warning("payment method %s is not a card", method.id)
        raise CardNotUsable(code="not_a_card")
    return CardInfo(
        id=method.id,
        customer_id=_id_of(_field(method, "customer")),
        brand=_field(card, "brand", ""),
        last4=_field(card, "last4", ""),
        exp_month=int(_field(card, "exp_month", 0)),
        exp_year=int(_field(card, "exp_year", 0)),
        fingerprint=_field(card, "fingerprint", ""),
        country=_field(card, "country", ""),
    )


def _payment_status(intent: Any) -> tuple[PaymentStatus, str, str]:
    """Our status for a PaymentIntent, with its failure and decline codes ("" when none)."""
    status = intent.status
    error = _field(intent, "last_payment_error")
    code = _field(error, "code", "") or ""
    decline_code = _field(error, "decline_code", "") or ""
    if status == IntentStatus.SUCCEEDED:
        return PaymentStatus.SUCCEEDED, "", ""
    # Manual capture is never requested, so an authorised payment is still on its way.
    if status in (IntentStatus.PROCESSING, IntentStatus.REQUIRES_CAPTURE):
        return PaymentStatus.PROCESSING, "", ""
    # Real Stripe leaves an off-session payment needing the cardholder in
    # requires_payment_method with this code; the cardholder can still confirm it.
    if status == IntentStatus.CANCELED:
        # Whatever went wrong before, it can no longer be paid.
        return PaymentStatus.FAILED, "canceled", decline_code
    if status == IntentStatus.REQUIRES_ACTION or code == AUTHENTICATION_REQUIRED:
        return PaymentStatus.REQUIRES_ACTION, code or AUTHENTICATION_REQUIRED, decline_code
    return PaymentStatus.FAILED, code or "payment_failed", decline_code


def _charge_result(intent: Any) -> ChargeResult:
    status, code, decline_code = _payment_status(intent)
    return ChargeResult(
        status=status,
        payment_intent_id=intent.id,
        client_secret=_field(intent, "client_secret"),
        failure_code=code,
        failure_message=card_message_for(decline_code, code) if code else "",
        amount_cents=int(_field(intent, "amount", 0)),
        metadata=_metadata(intent),
        decline_code=decline_code,
        currency=str(_field(intent, "currency", "") or "").lower(),
        customer_id=_id_of(_field(intent, "customer")),
    )


def currency_supported(currency: str) -> bool:
    """Whether the shop's payment account takes this currency (`STRIPE_CURRENCIES`)."""
    accepted = {code.upper() for code in settings.STRIPE_CURRENCIES}
    return bool(currency) and currency.upper() in accepted


def customer_create(
    *,
    email: str,
    name: str,
    metadata: dict[str, str],
    idempotency_key: str | None = None,
) -> str:
    """Create a customer at the provider and return its id."""
    client = _client()
    with _provider_errors("customer_create"):
        customer = client.v1.customers.create(
            params={"email": email, "name": name, "metadata": metadata},
            options={"idempotency_key": idempotency_key} if idempotency_key else None,
        )
    return customer.id


def setup_intent_create(
    *,
    customer_id: str,
    metadata: dict[str, str],
    idempotency_key: str | None = None,
    usage: str = "off_session",
) -> SetupIntentInfo:
    """Start saving a card, for off-session charges unless `usage="on_session"` (a card
    used once, with the customer present); the browser confirms it with the returned
    `client_secret`."""
    if usage not in ("off_session", "on_session"):
        raise ValueError("usage must be off_session or on_session")
    client = _client()
    with _provider_errors("setup_intent_create"):
        # payment_method_types: accepted by the API and the stand-in, absent from the typed params.
        intent = client.v1.setup_intents.create(
            params={  # type: ignore[arg-type]
                "customer": customer_id,
                "usage": usage,
                "payment_method_types": ["card"],
                "metadata": metadata,
            },
            options={"idempotency_key": idempotency_key} if idempotency_key else None,
        )
    return _setup_intent_info(intent)


def setup_intent_retrieve(setup_intent_id: str) -> SetupIntentInfo:
    """The current state of a card-saving request (trust this, not the browser)."""
    client = _client()
    with _provider_errors("setup_intent_retrieve"):
        intent = client.v1.setup_intents.retrieve(setup_intent_id)
    return _setup_intent_info(intent)


def card_details(payment_method_id: str) -> CardInfo:
    """Brand, last four digits, expiry, fingerprint and owner of a saved card."""
    client = _client()
    with _provider_errors("card_details"):
        method = client.v1.payment_methods.retrieve(payment_method_id)
    return _card_info(method)


def card_attach(*, payment_method_id: str, customer_id: str) -> CardInfo:
    """Make sure the card belongs to the customer, so it can be charged off-session.

    Attaches a card that belongs to nobody (Stripe attaches on SetupIntent confirmation,
    the local stand-in does not), does nothing when it already belongs to this customer,
    and raises `CardNotUsable` when it belongs to another customer (the provider itself
    may not refuse that).
    """
    client = _client()
    card = card_details(payment_method_id)
    if card.customer_id == customer_id:
        return card
    if card.customer_id is not None:
        logger.warning(
            "card %s belongs to %s, not to %s: refused",
            payment_method_id,
            card.customer_id,
            customer_id,
        )
        raise CardNotUsable(code="card_of_another_customer")
    with _provider_errors("card_attach", card_saving=True):
        method = client.v1.payment_methods.attach(
            payment_method_id, params={"customer": customer_id}
        )
    return _card_info(method)


def _declined_intent_id(client: stripe.StripeClient, err: stripe.CardError) -> str | None:
    """The PaymentIntent of a refused charge: on the error at Stripe, through the charge
    at the stand-in. None when the provider cannot say just now."""
    intent_id = _id_of(_field(err.error, "payment_intent"))
    if intent_id:
        return intent_id
    charge_id = _field(err.error, "charge")
    if not charge_id:
        return None
    try:
        charge = client.v1.charges.retrieve(charge_id)
    except stripe.StripeError as lookup_err:
        _error_translate(lookup_err, action="charge lookup after a decline")
        return None
    return _id_of(_field(charge, "payment_intent"))


def _card_refusal_result(
    client: stripe.StripeClient,
    err: stripe.CardError,
    *,
    customer_id: str,
    amount_cents: int,
    currency: str,
    metadata: dict[str, str],
) -> ChargeResult:
    """A charge the card refused, as a `ChargeResult` the caller can record and explain."""
    code = err.code or "card_declined"
    decline_code = _field(err.error, "decline_code", "") or ""
    intent_id = _declined_intent_id(client, err)
    logger.info(
        "charge refused: customer=%s intent=%s code=%s decline_code=%s",
        customer_id,
        intent_id,
        code,
        decline_code,
    )
    status = (
        PaymentStatus.REQUIRES_ACTION if code == AUTHENTICATION_REQUIRED else PaymentStatus.FAILED
    )
    client_secret = _field(_field(err.error, "payment_intent"), "client_secret")
    if status == PaymentStatus.REQUIRES_ACTION and client_secret is None and intent_id:
        # The cardholder needs the secret to confirm on-session; fetch it if not sent.
        client_secret = payment_intent_retrieve(intent_id).client_secret
    return ChargeResult(
        status=status,
        payment_intent_id=intent_id,
        client_secret=client_secret,
        failure_code=code,
        failure_message=card_message_for(decline_code, code),
        amount_cents=amount_cents,
        metadata=dict(metadata),
        decline_code=decline_code,
        currency=currency.lower(),
        customer_id=customer_id,
    )


def charge_off_session(
    *,
    customer_id: str,
    payment_method_id: str,
    amount_cents: int,
    currency: str,
    metadata: dict[str, str],
    idempotency_key: str,
) -> ChargeResult:
    """Charge a saved card while the customer is away; every outcome but a network
    problem comes back as a `ChargeResult` so the caller can record the attempt.

    - "succeeded": the money is taken.
    - "failed": refused (a decline or an unusable card); `failure_message` is for the
      customer, `payment_intent_id` is set when the provider could tell it.
    - "requires_action": the bank wants the cardholder; bring them back on-session to
      confirm with `client_secret`.
    - "processing": not decided yet; a webhook or `payment_intent_retrieve` tells later.

    Raises `PaymentProviderUnavailable` when the provider could not be reached or answered
    with a server error. The charge may or may not have happened then: before trying
    again, reconcile with `payment_intents_for(customer_id=..., metadata_key=...,
    metadata_value=...)` using a metadata value unique to this attempt, and reuse the same
    `idempotency_key` for a retry of the same attempt (Stripe then charges at most once).
    Raises `GatewayError` for a request the provider refuses as malformed.
    """
    return _payment_intent_confirm_new(
        customer_id=customer_id,
        payment_method_id=payment_method_id,
        amount_cents=amount_cents,
        currency=currency,
        metadata=metadata,
        idempotency_key=idempotency_key,
        off_session=True,
    )


def _payment_intent_confirm_new(
    *,
    customer_id: str,
    payment_method_id: str,
    amount_cents: int,
    currency: str,
    metadata: dict[str, str],
    idempotency_key: str,
    off_session: bool,
) -> ChargeResult:
    """Create and confirm one PaymentIntent with a saved card; a card refusal comes back as
    a result, every other provider error as ours."""
    if amount_cents <= 0:
        raise ValueError("amount_cents must be a positive number of cents")
    if not idempotency_key:
        raise ValueError("idempotency_key is required: a retried charge must not charge twice")
    params: dict[str, Any] = {
        "amount": amount_cents,
        "currency": currency.lower(),
        "customer": customer_id,
        "payment_method": payment_method_id,
        "payment_method_types": ["card"],
        "confirm": True,
        "metadata": metadata,
    }
    if off_session:
        params["off_session"] = True
    client = _client()
    try:
        # payment_method_types: accepted by the API and the stand-in, absent from the typed params.
        intent = client.v1.payment_intents.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": idempotency_key},
        )
    except stripe.CardError as err:
        return _card_refusal_result(
            client,
            err,
            customer_id=customer_id,
            amount_cents=amount_cents,
            currency=currency,
            metadata=metadata,
        )
    except stripe.StripeError as err:
        action = "charge_off_session" if off_session else "payment_intent_create_on_session"
        raise _error_translate(err, action=action) from err
    return _charge_result(intent)


def payment_intent_create_on_session(
    *,
    customer_id: str,
    payment_method_id: str,
    amount_cents: int,
    currency: str,
    metadata: dict[str, str],
    idempotency_key: str,
) -> ChargeResult:
    """Charge a card while the customer is at the checkout, confirmed at once.

    Same outcomes as `charge_off_session`; "requires_action" here is the usual case for a
    card whose bank checks the cardholder (3-D Secure): the page confirms it with Stripe.js
    and `client_secret`, then the caller reads the outcome with `payment_intent_retrieve`
    (never the browser's word). A `PaymentProviderUnavailable` leaves the outcome unknown:
    reconcile with `payment_intents_for` on a metadata value unique to the attempt.
    """
    return _payment_intent_confirm_new(
        customer_id=customer_id,
        payment_method_id=payment_method_id,
        amount_cents=amount_cents,
        currency=currency,
        metadata=metadata,
        idempotency_key=idempotency_key,
        off_session=False,
    )


def payment_intent_retrieve(payment_intent_id: str) -> ChargeResult:
    """The current outcome of a charge, in the same shape as `charge_off_session`."""
    client = _client()
    with _provider_errors("payment_intent_retrieve"):
        intent = client.v1.payment_intents.retrieve(payment_intent_id)
    return _charge_result(intent)


def payment_intent_cancel(payment_intent_id: str) -> ChargeResult:
    """Cancel a charge that has not gone through (e.g. one waiting for the cardholder), so
    it can never be completed later. A PaymentIntent that can no longer be cancelled
    (it succeeded meanwhile, or was cancelled before) is returned as it is: the caller
    reads `status` and records a success instead of charging again."""
    client = _client()
    try:
        intent = client.v1.payment_intents.cancel(payment_intent_id)
    except stripe.InvalidRequestError as err:
        if err.http_status == 404:
            raise _error_translate(err, action="payment_intent_cancel") from err
        logger.info("PaymentIntent %s not cancelled: %s", payment_intent_id, err.user_message)
        return payment_intent_retrieve(payment_intent_id)
    except stripe.StripeError as err:
        raise _error_translate(err, action="payment_intent_cancel") from err
    return _charge_result(intent)


def _search_quoted(value: str, *, what: str) -> str:
    """The value quoted for Stripe's search language. Only the characters of our ids and
    Stripe's are allowed: a quote or backslash could change what the query asks."""
    if not _SEARCH_SAFE.fullmatch(value):
        raise ValueError(
            f"{what} {value!r} cannot be searched: use letters, digits and _ . : @ - only"
        )
    return f"'{value}'"


def _payment_intents_search(client: stripe.StripeClient, query: str) -> Iterator[Any]:
    """Every PaymentIntent matching a search query, page after page."""
    params: PaymentIntentSearchParams = {"query": query, "limit": SEARCH_PAGE_SIZE}
    while True:
        page = client.v1.payment_intents.search(params=params)
        yield from page.data
        if not page.has_more or not page.next_page:
            return
        params = {**params, "page": page.next_page}


def payment_intents_for(
    *, customer_id: str, metadata_key: str, metadata_value: str
) -> list[ChargeResult]:
    """The customer's charges whose metadata has this value, in the provider's order
    (newest first): how to learn what became of a charge whose answer was lost.

    Finds them with Stripe's search, which lags behind new payments (under a minute
    normally, longer during an outage): a charge made seconds ago may be missing. Callers
    use it to reconcile minutes later, and a retry of the same charge still goes through
    its idempotency key. Each payment found is read again by id, so its status is current.
    Raises `ValueError` for a value holding anything but letters, digits and `_ . : @ -`.
    """
    query = (
        f"customer:{_search_quoted(customer_id, what='customer id')} AND "
        f"metadata[{_search_quoted(metadata_key, what='metadata key')}]:"
        f"{_search_quoted(metadata_value, what='metadata value')}"
    )
    client = _client()
    with _provider_errors("payment_intents_for"):
        # Only exact matches count, whatever the search's own matching rules.
        found = [
            intent.id
            for intent in _payment_intents_search(client, query)
            if _id_of(_field(intent, "customer")) == customer_id
            and _metadata(intent).get(metadata_key) == metadata_value
        ]
    return [payment_intent_retrieve(intent_id) for intent_id in found]


def payment_records_all() -> list[PaymentRecord]:
    """Every PaymentIntent of the account with what was given back on it, oldest first:
    what `billing_check` compares our books with. Reads the whole list, page by page."""
    client = _client()
    records = []
    with _provider_errors("payment_records_all"):
        params: PaymentIntentListParams = {"limit": 100, "expand": ["data.latest_charge"]}
        for intent in client.v1.payment_intents.list(params=params).auto_paging_iter():
            charge = _field(intent, "latest_charge")
            if isinstance(charge, str):
                charge = client.v1.charges.retrieve(charge)
            records.append(
                PaymentRecord(
                    payment_intent_id=intent.id,
                    status=str(intent.status),
                    amount_cents=int(_field(intent, "amount", 0)),
                    currency=str(_field(intent, "currency", "") or "").lower(),
                    customer_id=_id_of(_field(intent, "customer")),
                    metadata=_metadata(intent),
                    refunded_cents=int(_field(charge, "amount_refunded", 0) or 0) if charge else 0,
                )
            )
    records.reverse()
    return records


def refund_create(
    *,
    payment_intent_id: str,
    amount_cents: int | None,
    metadata: dict[str, str],
    idempotency_key: str,
) -> RefundInfo:
    """Give back `amount_cents` of a payment, or all of it when None.

    The provider may not refuse refunding more than was paid (the stand-in does not):
    the caller checks what is left to refund. A `PaymentProviderUnavailable` leaves the
    outcome unknown: retry with the same `idempotency_key`.
    """
    if amount_cents is not None and amount_cents <= 0:
        raise ValueError("amount_cents must be positive, or None for the whole payment")
    if not idempotency_key:
        raise ValueError("idempotency_key is required: a retried refund must not refund twice")
    params: RefundCreateParams = {"payment_intent": payment_intent_id, "metadata": metadata}
    if amount_cents is not None:
        params["amount"] = amount_cents
    client = _client()
    with _provider_errors("refund_create"):
        refund = client.v1.refunds.create(
            params=params, options={"idempotency_key": idempotency_key}
        )
    return RefundInfo(
        id=refund.id,
        status=refund.status or "",
        amount_cents=int(refund.amount),
        payment_intent_id=_id_of(_field(refund, "payment_intent")) or payment_intent_id,
    )


def charge_payment_intent_id(charge_id: str) -> str | None:
    """The PaymentIntent a charge (``ch_...``) belongs to, None for a charge made without
    one: how a dispute that names only its charge finds the payment."""
    client = _client()
    with _provider_errors("charge_payment_intent_id"):
        charge = client.v1.charges.retrieve(charge_id)
    return _id_of(_field(charge, "payment_intent"))


# The evidence fields of a dispute that the shop fills (Stripe's names); any other is refused.
DISPUTE_EVIDENCE_FIELDS = frozenset(
    {
        "access_activity_log",
        "cancellation_policy_disclosure",
        "cancellation_rebuttal",
        "customer_email_address",
        "customer_name",
        "customer_purchase_ip",
        "product_description",
        "refund_policy_disclosure",
        "service_date",
        "uncategorized_file",
        "uncategorized_text",
    }
)


def _dispute_info(dispute: Any) -> DisputeInfo:
    details = _field(dispute, "evidence_details")
    due_by = _field(details, "due_by")
    return DisputeInfo(
        id=dispute.id,
        status=str(_field(dispute, "status", "") or ""),
        amount_cents=int(_field(dispute, "amount", 0) or 0),
        currency=str(_field(dispute, "currency", "") or "").lower(),
        reason=str(_field(dispute, "reason", "") or ""),
        evidence_due_by=datetime.fromtimestamp(int(due_by), tz=UTC) if due_by else None,
        submission_count=int(_field(details, "submission_count", 0) or 0),
    )


def dispute_file_upload(*, file_name: str, content: bytes) -> str:
    """Upload a document (the evidence PDF) for a dispute's evidence; returns its file id
    (``file_...``). Sent to ``STRIPE_FILES_BASE``, Stripe's address for uploads. An upload
    whose answer was lost leaves at most an unused file at Stripe: nothing to undo."""
    if not content:
        raise ValueError("an empty file cannot be evidence")
    upload = io.BytesIO(content)
    # The multipart encoder names the part after the object's ``name``.
    upload.name = file_name
    client = _client()
    with _provider_errors("dispute_file_upload"):
        uploaded = client.v1.files.create(params={"purpose": "dispute_evidence", "file": upload})
    return uploaded.id


def dispute_evidence_submit(
    *, dispute_id: str, evidence: dict[str, str], idempotency_key: str
) -> DisputeInfo:
    """Attach ``evidence`` (Stripe's evidence field names, e.g. ``customer_name``,
    ``uncategorized_file``) to a dispute and submit it: Stripe then sends it to the bank,
    and the dispute can no longer be changed.

    Raises `DisputeNotOpen` when Stripe refuses because the dispute is closed or already
    answered, `PaymentProviderUnavailable` when the answer is unknown (retry with the same
    ``idempotency_key``), `GatewayError` for anything else it refuses."""
    unknown = set(evidence) - DISPUTE_EVIDENCE_FIELDS
    if unknown:
        raise ValueError(f"not evidence fields the shop fills: {', '.join(sorted(unknown))}")
    if not idempotency_key:
        raise ValueError("idempotency_key is required: evidence is submitted once")
    client = _client()
    try:
        # The evidence's names are checked above; the typed params want a literal dict.
        dispute = client.v1.disputes.update(
            dispute_id,
            params={"evidence": dict(evidence), "submit": True},  # type: ignore[arg-type]
            options={"idempotency_key": idempotency_key},
        )
    except stripe.InvalidRequestError as err:
        said = (err.user_message or "").lower()
        if err.http_status == 400 and ("closed" in said or "submitted" in said):
            logger.warning(
                "dispute %s refused evidence: %s", dispute_id, _redacted(err.user_message or "")
            )
            error = DisputeNotOpen()
            error.action = "dispute_evidence_submit"
            raise error from err
        raise _error_translate(err, action="dispute_evidence_submit") from err
    except stripe.StripeError as err:
        raise _error_translate(err, action="dispute_evidence_submit") from err
    return _dispute_info(dispute)


def webhook_event_construct(*, payload: bytes, signature_header: str) -> WebhookEvent:
    """Verify a webhook's `Stripe-Signature` against `STRIPE_WEBHOOK_SECRET` and return
    the event; raises `WebhookSignatureInvalid` for a bad signature, a timestamp outside
    the tolerance, or a body that is not an event."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        logger.error("STRIPE_WEBHOOK_SECRET is empty: every webhook is refused")
        raise WebhookSignatureInvalid(code="webhook_secret_missing")
    try:
        event = stripe.Webhook.construct_event(
            payload, signature_header, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError as err:
        raise _error_translate(err, action="webhook_event_construct") from err
    except (ValueError, TypeError, AttributeError) as err:
        # AttributeError: the library reads the parsed body as an object before anything
        # checks that it is one; signed JSON such as `0` or `[]` would otherwise be a crash.
        logger.warning("webhook refused: unreadable body or header (%s)", type(err).__name__)
        raise WebhookSignatureInvalid(code="webhook_payload_invalid") from err
    try:
        body = _plain(event.data.object)
        if not isinstance(body, dict) or not isinstance(event.id, str):
            raise TypeError("an event's object is an object, its id a string")
        if b"\\u0000" in payload:
            # Stripe never sends a NUL character, and PostgreSQL cannot store one.
            raise ValueError("a NUL character in the event")
        return WebhookEvent(
            id=event.id,
            type=str(event.type),
            created=datetime.fromtimestamp(int(event.created), tz=UTC),
            object=body,
            livemode=bool(_field(event, "livemode", False)),
        )
    except (AttributeError, KeyError, TypeError, ValueError, OverflowError, OSError) as err:
        logger.warning("webhook refused: signed, but not shaped like an event")
        raise WebhookSignatureInvalid(code="webhook_payload_invalid") from err
