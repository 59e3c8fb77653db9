"""Helpers for tests only: what the browser and Stripe would do, against the local stand-in.

Not for production code paths: `card_confirm_for_tests` sends a raw card number, which
only the stand-in (and Stripe test mode with raw card data enabled) accepts.
"""

import hashlib
import hmac
import time
from datetime import UTC, datetime

from .client import _client, _provider_errors, _setup_intent_info
from .results import SetupIntentInfo


def webhook_signature_header(payload: bytes, *, secret: str, timestamp: int | None = None) -> str:
    """A valid `Stripe-Signature` header for the payload, as Stripe would send it, so tests
    can post events the stand-in never sends (setup_intent.*, charge.*, refund.*)."""
    signed_at = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(
        secret.encode(), f"{signed_at}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    return f"t={signed_at},v1={signature}"


def card_confirm_for_tests(*, setup_intent_id: str, card_number: str) -> SetupIntentInfo:
    """Do what Stripe.js does in the browser: make a card from a test number (expiring in
    December next year, CVC 123) and confirm the SetupIntent with it.

    Returns the SetupIntent after confirmation ("succeeded", or "requires_action" for
    cards that ask for authentication). Raises `CardNotUsable` when the card is refused
    while saving (the SetupIntent is then canceled at the stand-in).
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
    return _setup_intent_info(intent)


__all__ = ["card_confirm_for_tests", "webhook_signature_header"]
