"""The payment gateway: the one place in the project that talks to Stripe.

Everything else calls these functions and gets plain frozen dataclasses or a
`GatewayError` (whose `user_message` is safe to show) back; see `client.py` for the
contract of each call. Test helpers live in `shop.gateway.testing`.
"""

from .client import (
    card_attach,
    card_details,
    charge_off_session,
    charge_payment_intent_id,
    currency_supported,
    customer_create,
    dispute_evidence_submit,
    dispute_file_upload,
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
    DisputeNotOpen,
    GatewayError,
    PaymentProviderUnavailable,
    ProviderObjectMissing,
    WebhookSignatureInvalid,
)
from .results import (
    SETUP_STILL_OPEN,
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

__all__ = [
    "SETUP_STILL_OPEN",
    "CardDeclined",
    "CardInfo",
    "CardNotUsable",
    "ChargeResult",
    "DisputeInfo",
    "DisputeNotOpen",
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
    "charge_payment_intent_id",
    "customer_create",
    "dispute_evidence_submit",
    "dispute_file_upload",
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
