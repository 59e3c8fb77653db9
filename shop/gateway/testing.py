"""Helpers for tests only: what the browser and Stripe would do, against the local stand-in.

Not for production code paths: `card_confirm_for_tests` sends a raw card number, which
only the stand-in (and Stripe test mode with raw card data enabled) accepts.
"""

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

import requests
from django.conf import settings

from .client import _client, _provider_errors, _setup_intent_info, payment_intent_retrieve
from .results import IntentStatus, SetupIntentInfo


def webhook_signature_header(payload: bytes, *, secret: str, timestamp: int | None = None) -> str:
    """A valid `Stripe-Signature` header for the payload, as Stripe would send it, so tests
    can post events the stand-in never sends (setup_intent.*, charge.*, refund.*)."""
    signed_at = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(
        secret.encode(), f"{signed_at}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    return f"t={signed_at},v1={signature}"


def card_confirm_for_tests(
    *, setup_intent_id: str, card_number: str, bank_check: bool = False
) -> SetupIntentInfo:
    """Do what Stripe.js does in the browser: make a card from a test number (expiring in
    December next year, CVC 123) and confirm the SetupIntent with it.

    Returns the SetupIntent after confirmation ("succeeded", or "requires_action" for
    cards that ask for authentication, unless `bank_check` completes that check as the
    cardholder would). Raises `CardNotUsable` when the card is refused while saving (the
    SetupIntent is then canceled at the stand-in).
    """
    client = _client()
    with _provider_errors("card_confirm_for_tests", card_saving=True):
        method = client.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {
                    "number": card_number,
                    "exp_month": 12,
                    "exp_year": datetime.now(tz=UTC).year + 1,
                    "cvc": "123",
                },
            }
        )
        intent = client.v1.setup_intents.confirm(
            setup_intent_id, params={"payment_method": method.id}
        )
        if bank_check and intent.status == IntentStatus.REQUIRES_ACTION:
            # The second confirmation Stripe.js sends after "Complete authentication".
            intent = client.v1.setup_intents.confirm(setup_intent_id)
    return _setup_intent_info(intent)


def bank_check_for_tests(*, payment_intent_id: str, success: bool) -> int:
    """Do what the cardholder does in the stand-in's 3-D Secure box ("Complete
    authentication" or "Fail authentication") for a PaymentIntent waiting for them, the
    same request its Stripe.js sends. Returns the stand-in's HTTP status."""
    secret = payment_intent_retrieve(payment_intent_id).client_secret
    url = (
        f"{settings.STRIPE_API_BASE}/v1/payment_intents/{payment_intent_id}"
        f"/_authenticate?success={'true' if success else 'false'}"
    )
    body = json.dumps({"key": settings.STRIPE_PUBLISHABLE_KEY, "client_secret": secret})
    return requests.post(url, data=body, timeout=10).status_code


__all__ = ["bank_check_for_tests", "card_confirm_for_tests", "webhook_signature_header"]
