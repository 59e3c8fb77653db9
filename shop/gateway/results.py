"""Plain, frozen answers from the payment provider: no provider objects leave the gateway."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class PaymentStatus(StrEnum):
    """What became of a payment (``ChargeResult.status``), read from its PaymentIntent."""

    SUCCEEDED = "succeeded"
    # Not decided yet: a webhook or ``payment_intent_retrieve`` tells later.
    PROCESSING = "processing"
    # The bank wants the cardholder: confirmed on-session with ``client_secret``.
    REQUIRES_ACTION = "requires_action"
    FAILED = "failed"


class IntentStatus(StrEnum):
    """Stripe's own status of a SetupIntent or PaymentIntent (``SetupIntentInfo.status``,
    ``PaymentRecord.status``)."""

    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_CONFIRMATION = "requires_confirmation"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    REQUIRES_CAPTURE = "requires_capture"
    CANCELED = "canceled"
    SUCCEEDED = "succeeded"


# A SetupIntent in these states can still save the card the customer enters.
SETUP_STILL_OPEN = frozenset(
    {IntentStatus.REQUIRES_PAYMENT_METHOD, IntentStatus.REQUIRES_CONFIRMATION}
)


@dataclass(frozen=True)
class SetupIntentInfo:
    """A request to save a card for later off-session charges."""

    id: str
    # An ``IntentStatus`` value, as Stripe sent it.
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
    # The provider's own status, an ``IntentStatus`` value as Stripe sent it.
    status: str
    amount_cents: int
    currency: str
    customer_id: str | None
    metadata: dict[str, str]
    # Given back on its latest charge.
    refunded_cents: int


@dataclass(frozen=True)
class DisputeInfo:
    """A dispute as the provider answered after evidence was sent."""

    id: str
    # Stripe's own status: needs_response, under_review, won, lost...
    status: str
    amount_cents: int
    currency: str
    reason: str
    evidence_due_by: datetime | None
    # How many times evidence was submitted (Stripe's evidence_details.submission_count).
    submission_count: int
