"""What can go wrong when talking to the payment provider, in words a visitor can act on.

Every exception carries `user_message` (safe to show) and `code` (for logs and branching);
the provider's own wording and identifiers only ever go to the log.
"""

from shop.errors import RefusedWithMessage

MESSAGE_UNAVAILABLE = (
    "We could not reach our payment provider just now. Nothing has been charged; "
    "please try again in a few minutes."
)
MESSAGE_DECLINED = "Your card was declined. Please try another card."
MESSAGE_NOT_USABLE = "This card could not be used. Please try another card."
MESSAGE_CONFIGURATION = (
    "Our payment step is not working right now. We have been told about it; "
    "please try again later or contact us."
)
MESSAGE_WEBHOOK = "The notification could not be verified."
MESSAGE_DISPUTE_NOT_OPEN = (
    "Stripe no longer accepts evidence for this dispute: it is closed, or its evidence was "
    "sent already. Nothing was sent; the dispute's page in Stripe's dashboard says where it "
    "stands."
)

# The provider's codes the gateway acts on.
AUTHENTICATION_REQUIRED = "authentication_required"
RESOURCE_MISSING = "resource_missing"

# Card problems by the provider's error or decline code; anything else gets the plain message.
CARD_MESSAGES: dict[str, str] = {
    "card_declined": MESSAGE_DECLINED,
    "generic_decline": MESSAGE_DECLINED,
    "insufficient_funds": (
        "Your card was declined for insufficient funds. Please try another card."
    ),
    "lost_card": MESSAGE_DECLINED,
    "stolen_card": MESSAGE_DECLINED,
    "expired_card": "Your card has expired. Please use another card.",
    "incorrect_cvc": (
        "The security code (CVC) was not accepted. Please check it or use another card."
    ),
    "invalid_cvc": (
        "The security code (CVC) was not accepted. Please check it or use another card."
    ),
    "incorrect_number": "The card number was not accepted. Please check it or use another card.",
    "invalid_number": "The card number was not accepted. Please check it or use another card.",
    "invalid_expiry_month": "The expiry date was not accepted. Please check it.",
    "invalid_expiry_year": "The expiry date was not accepted. Please check it.",
    "processing_error": (
        "Your card could not be processed just now. Please try again, or use another card."
    ),
    "authentication_required": (
        "Your bank needs you to confirm this payment. Please confirm it, or use another card."
    ),
    "payment_intent_authentication_failure": (
        "Your bank could not confirm this payment. Please try again, or use another card."
    ),
    "setup_intent_authentication_failure": (
        "Your bank could not confirm this card. Please try again, or use another card."
    ),
}

# Codes that say the card itself (not this one payment) is the problem.
CARD_NOT_USABLE_CODES = frozenset(
    {
        "expired_card",
        "incorrect_cvc",
        "invalid_cvc",
        "incorrect_number",
        "invalid_number",
        "invalid_expiry_month",
        "invalid_expiry_year",
        "setup_intent_authentication_failure",
        "setup_intent_unexpected_state",
    }
)


def card_message_for(*codes: str | None) -> str:
    """The visitor's message for the most specific known code (decline code first)."""
    for code in codes:
        if code and code in CARD_MESSAGES:
            return CARD_MESSAGES[code]
    return MESSAGE_NOT_USABLE


class GatewayError(RefusedWithMessage):
    """The payment provider did not do what was asked; `user_message` is safe to show."""

    default_message = MESSAGE_CONFIGURATION
    default_code = "gateway_error"
    # The gateway call that failed ("card_attach", "charge_off_session"...), for logs.
    action = ""

    def __init__(self, user_message: str | None = None, *, code: str | None = None) -> None:
        super().__init__(user_message or self.default_message)
        self.code = code or self.default_code


class PaymentProviderUnavailable(GatewayError):
    """Network error, timeout, provider-side 5xx or rate limit: try again later.

    For a charge or refund the outcome is unknown: the caller must reconcile
    (see `payment_intents_for`) before trying again with a new idempotency key.
    """

    default_message = MESSAGE_UNAVAILABLE
    default_code = "provider_unavailable"


class ProviderObjectMissing(GatewayError):
    """The provider has no such object (its 404, ``resource_missing``): asking again will
    never find it, unlike `PaymentProviderUnavailable`."""

    default_code = "resource_missing"


class CardDeclined(GatewayError):
    """The card issuer refused; `decline_code` is the issuer's reason when given (may be empty)."""

    default_message = MESSAGE_DECLINED
    default_code = "card_declined"

    def __init__(
        self,
        user_message: str | None = None,
        *,
        code: str | None = None,
        decline_code: str = "",
    ) -> None:
        super().__init__(user_message, code=code)
        self.decline_code = decline_code


class CardNotUsable(GatewayError):
    """The card cannot be saved or used: setup failed or canceled, expired, wrong CVC, or it
    belongs to someone else."""

    default_message = MESSAGE_NOT_USABLE
    default_code = "card_not_usable"


class WebhookSignatureInvalid(GatewayError):
    """A webhook whose signature, timestamp or body does not check out: answer 400, do nothing."""

    default_message = MESSAGE_WEBHOOK
    default_code = "webhook_signature_invalid"


class DisputeNotOpen(GatewayError):
    """Stripe refused evidence for a dispute that is closed or already answered: sending
    again will not help (its 400 on the dispute's update)."""

    default_message = MESSAGE_DISPUTE_NOT_OPEN
    default_code = "dispute_not_open"
