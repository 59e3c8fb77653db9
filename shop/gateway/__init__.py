"""The payment gateway: the one place in the project that talks to Stripe.

Everything else calls these functions and gets plain frozen dataclasses or a
`GatewayError` (whose `user_message` is safe to show) back; see `client.py` for the
contract of each call. Test helpers live in `shop.gateway.testing`.
"""

from .client import (
    card_attach,
    card_details,
    charge_off_session,
    currency_supported,
    customer_create,
    payment_intent_cancel,
    payment_intent_create_on_session,
    payment_intent_retrieve,
    payment_intents_for,
    payment_records_all,
    refund_create,
    setup_intent_create,
    setup_intent_retrieve,
    webhook_event_construct,
)
from .errors import (
    CardDeclined,
    CardNotUsable,
    GatewayError,
    PaymentProviderUnavailable,
    ProviderObjectMissing,
    WebhookSignatureInvalid,
)
from .results import (
    SETUP_STILL_OPEN,
    CardInfo,
    ChargeResult,
    IntentStatus,
    PaymentRecord,
    PaymentStatus,
    RefundInfo,
    SetupIntentInfo,
    WebhookEvent,
)

__all__ = [
    "SETUP_STILL_OPEN",
    "CardDeclined",
    "CardInfo",
    "CardNotUsable",
    "ChargeResult",
    "GatewayError",
    "IntentStatus",
    "PaymentRecord",
    "PaymentProviderUnavailable",
    "PaymentStatus",
    "ProviderObjectMissing",
    "RefundInfo",
    "SetupIntentInfo",
    "WebhookEvent",
    "WebhookSignatureInvalid",
    "card_attach",
    "card_details",
    "charge_off_session",
    "currency_supported",
    "customer_create",
    "payment_intent_cancel",
    "payment_intent_create_on_session",
    "payment_intent_retrieve",
    "payment_intents_for",
    "payment_records_all",
    "refund_create",
    "setup_intent_create",
    "setup_intent_retrieve",
    "webhook_event_construct",
]
