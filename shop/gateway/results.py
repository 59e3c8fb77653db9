"""Plain, frozen answers from the payment provider: no provider objects leave the gateway."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

PaymentStatus = Literal["succeeded", "requires_action", "failed", "processing"]


@dataclass(frozen=True)
class SetupIntentInfo:
    """A request to save a card for later off-session charges."""

    id: str
    status: str
    client_secret: str
    customer_id: str | None
    payment_method_id: str | None
    metadata: dict[str, str] = field(default_factory=dict)
    # The provider's code for the last failed attempt to save a card, "" when none.
    failure_code: str = ""


@dataclass(frozen=True)
class CardInfo:
    """A saved card as the shop may show and compare it (never the number)."""

    id: str
    customer_id: str | None
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    # The same card number gives the same fingerprint, across customers.
    fingerprint: str
    country: str


@dataclass(frozen=True)
class ChargeResult:
    """One attempt to take money; `failure_message` is safe to show to the visitor."""

    status: PaymentStatus
    payment_intent_id: str | None
    client_secret: str | None
    failure_code: str = ""
    failure_message: str = ""
    amount_cents: int = 0
    metadata: dict[str, str] = field(default_factory=dict)
    # The issuer's reason for a decline when given, "" otherwise.
    decline_code: str = ""
    # Lower-case ISO code, and the customer charged, as the provider reports them.
    currency: str = ""
    customer_id: str | None = None


@dataclass(frozen=True)
class RefundInfo:
    """Money given back on one payment."""

    id: str
    status: str
    amount_cents: int
    payment_intent_id: str | None


@dataclass(frozen=True)
class WebhookEvent:
    """A verified notification from the provider; `object` is plain dicts and lists."""

    id: str
    type: str
    created: datetime
    object: dict[str, Any]
    livemode: bool


@dataclass(frozen=True)
class PaymentRecord:
    """One PaymentIntent as the provider's books show it, for comparing with ours."""

    payment_intent_id: str
    # The provider's own status ("succeeded", "requires_payment_method", ...).
    status: str
    amount_cents: int
    currency: str
    customer_id: str | None
    metadata: dict[str, str]
    # Given back on its latest charge.
    refunded_cents: int
