"""Taking the one payment of a checkout: claimed under the basket's lock before anything is
charged, one on-session PaymentIntent per attempt, and its outcome read from Stripe.

A second submission of the same basket (a double click, another tab, a retried request)
waits for the first, then finds its PaymentIntent instead of charging again; a new
PaymentIntent is only made once the earlier one can no longer be paid."""

import logging
from dataclasses import asdict

from django.db import transaction
from oscar.core.loading import get_model

from shop import gateway
from shop.billing.services import SavedCard
from shop.checkout.models import CheckoutPayment
from shop.errors import RefusedWithMessage

logger = logging.getLogger(__name__)

Basket = get_model("basket", "Basket")

# A PaymentIntent in these states is (or may still become) paid: never charge beside it.
LIVE_STATUSES = {
    gateway.PaymentStatus.SUCCEEDED,
    gateway.PaymentStatus.PROCESSING,
    gateway.PaymentStatus.REQUIRES_ACTION,
}


class PaymentNotTaken(RefusedWithMessage):
    """The payment cannot be used for this order; the message tells the customer why."""


def _attempt_tag(payment: CheckoutPayment, attempt: int) -> str:
    return f"{payment.pk}-{attempt}"


def _payment_live(payment: CheckoutPayment, *, just_created: bool) -> gateway.ChargeResult | None:
    """The payment's PaymentIntent when it is paid or may still be, else None.

    Without a recorded PaymentIntent, an attempt whose answer was lost (the provider
    unreachable mid-request) is looked up at Stripe by its metadata before a new one."""
    if payment.payment_intent_id:
        current = gateway.payment_intent_retrieve(payment.payment_intent_id)
        return current if current.status in LIVE_STATUSES else None
    if just_created:
        return None
    for earlier in gateway.payment_intents_for(
        customer_id=payment.customer_id,
        metadata_key="checkout_attempt",
        metadata_value=_attempt_tag(payment, payment.attempts + 1),
    ):
        if earlier.status in LIVE_STATUSES:
            return earlier
    return None


def checkout_payment_take(
    *,
    basket,
    user,
    kind: str,
    amount_cents: int,
    currency: str,
    terms: dict,
    consent: dict,
    card: SavedCard,
) -> tuple[CheckoutPayment, gateway.ChargeResult | None]:
    """Charge the basket once, on-session, with the saved card; returns the basket's payment
    and the outcome of its PaymentIntent (None when the order is already placed).

    The outcome may be "requires_action": the page then confirms it with Stripe.js. A
    later call for the same basket gets the same PaymentIntent back while it can still be
    paid; with other terms, an unpaid one is cancelled first and a new one made."""
    with transaction.atomic():
        # Every submission of this basket queues here; the claim exists before any charge.
        Basket._default_manager.select_for_update().get(pk=basket.pk)
        payment, created = CheckoutPayment.objects.get_or_create(
            basket_id=basket.pk,
            defaults={
                "user": user,
                "kind": kind,
                "amount_cents": amount_cents,
                "currency": currency.upper(),
                "customer_id": card.customer_id,
                "terms": terms,
                "consent": consent,
                "card": asdict(card),
            },
        )
    with transaction.atomic():
        payment = CheckoutPayment.objects.select_for_update().get(pk=payment.pk)
        if payment.order_id:
            return payment, None
        live = _payment_live(payment, just_created=created)
        if live is not None:
            if live.status == gateway.PaymentStatus.SUCCEEDED or payment.terms == terms:
                if payment.payment_intent_id != live.payment_intent_id:
                    payment.payment_intent_id = live.payment_intent_id
                    payment.attempts += 1
                    payment.save(update_fields=["payment_intent_id", "attempts", "updated_at"])
                return payment, live
            # The customer now pays other terms: the earlier payment must never complete.
            stopped = gateway.payment_intent_cancel(live.payment_intent_id)
            if stopped.status == gateway.PaymentStatus.SUCCEEDED:
                return payment, stopped
        attempt = payment.attempts + 1
        result = gateway.payment_intent_create_on_session(
            customer_id=card.customer_id,
            payment_method_id=card.payment_method_id,
            amount_cents=amount_cents,
            currency=currency,
            metadata={
                "checkout_payment": str(payment.pk),
                "checkout_attempt": _attempt_tag(payment, attempt),
                "basket": str(basket.pk),
                "user": str(user.pk),
            },
            idempotency_key=f"checkout-payment-{payment.pk}-{attempt}",
        )
        payment.kind = kind
        payment.amount_cents = amount_cents
        payment.currency = currency.upper()
        payment.customer_id = card.customer_id
        payment.terms = terms
        payment.consent = consent
        payment.card = asdict(card)
        payment.attempts = attempt
        payment.payment_intent_id = result.payment_intent_id or ""
        payment.save()
    logger.info(
        "Checkout payment %s attempt %s: %s (%s)",
        payment.pk,
        attempt,
        result.status,
        result.payment_intent_id,
    )
    return payment, result


def checkout_payment_verified(*, payment: CheckoutPayment) -> gateway.ChargeResult:
    """The payment's PaymentIntent as Stripe tells it (never as the browser says), checked
    to be this customer's, for this amount and currency, made for this payment."""
    result = gateway.payment_intent_retrieve(payment.payment_intent_id)
    matches = (
        result.customer_id == payment.customer_id
        and result.amount_cents == payment.amount_cents
        and result.currency == payment.currency.lower()
        and result.metadata.get("checkout_payment") == str(payment.pk)
    )
    if not matches:
        logger.error(
            "PaymentIntent %s does not match checkout payment %s",
            payment.payment_intent_id,
            payment.pk,
        )
        raise PaymentNotTaken(
            "This payment does not match your order, so no order was placed. Please contact "
            "us; nothing more will be charged."
        )
    return result


def checkout_payment_refund(*, payment: CheckoutPayment, reason: str) -> None:
    """Give back a payment that cannot become an order, and forget it, so the customer can
    pay again for what the basket holds now."""
    gateway.refund_create(
        payment_intent_id=payment.payment_intent_id,
        amount_cents=None,
        metadata={"checkout_payment": str(payment.pk), "reason": reason},
        idempotency_key=f"checkout-payment-{payment.pk}-refund-{payment.payment_intent_id}",
    )
    logger.warning(
        "Checkout payment %s refunded (%s): %s", payment.pk, payment.payment_intent_id, reason
    )
    CheckoutPayment.objects.filter(pk=payment.pk).update(payment_intent_id="")
