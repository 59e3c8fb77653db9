"""Checkout for the trial-then-installments program.

Oscar's flow, shipping skipped: sign in or register, then one payment page where Stripe.js
saves the card through a SetupIntent (nothing is charged), the customer reads the terms and
ticks the consent, and the order, its plan and its download grant are written together."""

import logging
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.utils import timezone
from oscar.apps.checkout import views
from oscar.core.loading import get_class, get_model

from config.proxies import client_ip
from shop import gateway
from shop.billing.models import InstallmentPlan, StripeCustomer
from shop.billing.selectors import BasketNotTrialReady, basket_trial_offer, trial_disclosure
from shop.billing.services import (
    ConsentRecord,
    SavedCard,
    TrialNotAllowed,
    cents,
    first_installment_paid_record,
    plan_start,
    trial_eligibility_check,
)
from shop.checkout.forms import EU_WITHDRAWAL_COUNTRIES, TrialCheckoutForm

logger = logging.getLogger(__name__)

Basket = get_model("basket", "Basket")
Order = get_model("order", "Order")
SourceType = get_model("payment", "SourceType")
Source = get_model("payment", "Source")
NoShippingRequired = get_class("shipping.methods", "NoShippingRequired")
OrderTotalCalculator = get_class("checkout.calculators", "OrderTotalCalculator")

SETUP_INTENT_SESSION_KEY = "trial_checkout_setup_intent"
# Set when the card turned out to have had the tryout: the page then offers the plan without it.
NO_TRIAL_SESSION_KEY = "trial_checkout_without_trial"


class CheckoutStopped(Exception):
    """The order cannot be placed; the message tells the customer why and what to do."""

    def __init__(self, user_message: str):
        super().__init__(user_message)
        self.user_message = user_message


class PaymentDetailsView(views.PaymentDetailsView):
    """The last checkout step for a basket holding the trial product; Oscar's own flow for
    anything else."""

    template_name = "oscar/checkout/payment_details.html"

    # Steps

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            # The program is downloaded from the account: sign in or register first.
            return redirect("checkout:index")
        if request.method == "POST":
            placed = InstallmentPlan.objects.filter(
                user=request.user, stripe_setup_intent_id=request.POST.get("setup_intent_id", "")
            ).first()
            if placed is not None:
                # A retried submission of an order already placed: show it, do nothing twice.
                request.session["checkout_order_id"] = placed.order_id
                return redirect(self.get_success_url())
        try:
            self.offer = basket_trial_offer(request.basket)
        except BasketNotTrialReady as exc:
            messages.error(request, exc.user_message)
            return redirect("basket:summary")
        if self.offer is not None and self.preview:
            # One page holds the terms, the card and the button.
            return redirect("checkout:payment-details")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if self.offer is None:
            return super().get(request, *args, **kwargs)
        return self.render_trial_page(form=None)

    def post(self, request, *args, **kwargs):
        if self.offer is None:
            return super().post(request, *args, **kwargs)
        start = timezone.now()
        with_trial, refusal = self.purchase_mode()
        if refusal:
            return self.render_trial_page(form=None, status=400)
        disclosure = trial_disclosure(self.offer, start, with_trial=with_trial)
        form = TrialCheckoutForm(
            request.POST,
            consent_text=disclosure.consent_text,
            immediate_access_text=disclosure.immediate_access_text,
        )
        if not form.is_valid():
            return self.render_trial_page(form=form, status=400)
        if form.cleaned_data["shown_on"] != disclosure.terms_shown_on:
            return self.render_trial_page(
                form=None,
                error="The dates of your payments have moved on since the page was opened. "
                "Please read them again and tick the box.",
                status=400,
            )
        try:
            order, created = self.trial_order_place(form=form, start=start, with_trial=with_trial)
        except (gateway.GatewayError, TrialNotAllowed, CheckoutStopped) as exc:
            logger.info("Trial checkout stopped for user %s: %s", request.user.pk, exc)
            # A used or failed SetupIntent cannot be confirmed again: start a fresh one.
            request.session.pop(SETUP_INTENT_SESSION_KEY, None)
            return self.render_trial_page(form=form, error=exc.user_message, status=400)
        if not created:
            # Already placed by an earlier submission: show it, send nothing twice.
            request.session["checkout_order_id"] = order.pk
            return redirect(self.get_success_url())
        return self.handle_successful_order(order)

    # The page

    def stripe_customer_id(self) -> str:
        user = self.request.user
        customer = StripeCustomer.objects.filter(user=user).first()
        if customer:
            return customer.customer_id
        customer_id = gateway.customer_create(
            email=user.email, name=user.get_full_name(), metadata={"user_id": str(user.pk)}
        )
        customer, _ = StripeCustomer.objects.get_or_create(
            user=user, defaults={"customer_id": customer_id}
        )
        return customer.customer_id

    def current_setup_intent(self) -> gateway.SetupIntentInfo:
        """The basket's SetupIntent, reused across reloads until it is used or fails."""
        basket = self.request.basket
        saved = self.request.session.get(SETUP_INTENT_SESSION_KEY) or {}
        if saved.get("basket") == basket.pk:
            intent = gateway.setup_intent_retrieve(saved["id"])
            if intent.status in {"requires_payment_method", "requires_confirmation"}:
                return intent
        intent = gateway.setup_intent_create(
            customer_id=self.stripe_customer_id(),
            metadata={"basket_id": str(basket.pk), "user_id": str(self.request.user.pk)},
        )
        self.request.session[SETUP_INTENT_SESSION_KEY] = {"id": intent.id, "basket": basket.pk}
        return intent

    def purchase_mode(self) -> tuple[bool, str]:
        """(with the free tryout?, why this customer cannot buy at all, or "")."""
        user = self.request.user
        try:
            trial_eligibility_check(product=self.offer.product, user=user, email=user.email)
        except TrialNotAllowed as exc:
            if self.offer.sell_without_trial:
                return False, ""
            return False, exc.user_message
        if self.request.session.get(NO_TRIAL_SESSION_KEY) == self.request.basket.pk:
            return False, ""
        return True, ""

    def render_trial_page(self, *, form, error: str = "", status: int = 200):
        start = timezone.now()
        with_trial, already_tried = self.purchase_mode()
        disclosure = trial_disclosure(self.offer, start, with_trial=with_trial)
        if form is None or form.consent_text != disclosure.consent_text:
            # New or changed terms: a fresh, unticked consent for exactly these terms.
            country = form.data.get("country", "") if form is not None else ""
            form = TrialCheckoutForm(
                consent_text=disclosure.consent_text,
                immediate_access_text=disclosure.immediate_access_text,
                initial={"shown_on": disclosure.terms_shown_on, "country": country},
            )
        intent = None
        if not already_tried:
            try:
                intent = self.current_setup_intent()
            except gateway.GatewayError as exc:
                error = error or exc.user_message
        context = self.get_context_data(
            trial_form=form,
            disclosure=disclosure,
            offer=self.offer,
            already_tried=already_tried,
            setup_intent=intent,
            stripe_publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
            stripe_js_url=settings.STRIPE_JS_URL,
            eu_countries=sorted(EU_WITHDRAWAL_COUNTRIES),
            error=error,
        )
        return self.render_to_response(context, status=status)

    # Placing the order

    def trial_order_place(self, *, form: TrialCheckoutForm, start, with_trial: bool) -> tuple:
        """Verify the saved card, then write order, plan and grant at once; returns the order
        and whether this call created it."""
        request, user, basket = self.request, self.request.user, self.request.basket
        customer = StripeCustomer.objects.filter(user=user).first()
        intent = gateway.setup_intent_retrieve(form.cleaned_data["setup_intent_id"])
        if customer is None or intent.customer_id != customer.customer_id:
            raise CheckoutStopped("Your card details did not reach us. Please enter them again.")

        existing = InstallmentPlan.objects.filter(stripe_setup_intent_id=intent.id).first()
        if existing is not None:
            # The same confirmed card posted twice (a double click, a retried request).
            return existing.order, False
        if intent.status != "succeeded" or not intent.payment_method_id:
            raise CheckoutStopped(
                "Your card could not be saved. Please check the details or try another card."
            )
        card = gateway.card_attach(
            payment_method_id=intent.payment_method_id, customer_id=intent.customer_id
        )
        first_payment = None
        if with_trial:
            try:
                trial_eligibility_check(
                    product=self.offer.product,
                    user=user,
                    email=user.email,
                    card_fingerprint=card.fingerprint,
                )
            except TrialNotAllowed as exc:
                if not self.offer.sell_without_trial:
                    raise
                request.session[NO_TRIAL_SESSION_KEY] = basket.pk
                raise CheckoutStopped(
                    f"{exc.user_message} You can still buy it without the tryout: please "
                    "read the new terms below and tick the box again."
                ) from exc
        else:
            first_payment = self.first_installment_charge(intent=intent, card_id=card.id)
        saved_card = SavedCard(
            customer_id=intent.customer_id,
            payment_method_id=card.id,
            setup_intent_id=intent.id,
            fingerprint=card.fingerprint or "",
            brand=card.brand or "",
            last4=card.last4 or "",
        )
        consent = ConsentRecord(
            text=form.consent_text,
            accepted_at=start,
            ip_address=client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
            country=form.cleaned_data["country"],
            immediate_access_requested=bool(form.cleaned_data.get("immediate_access")),
            immediate_access_text=form.immediate_access_text
            if form.cleaned_data.get("immediate_access")
            else "",
        )
        with transaction.atomic():
            # Two submissions of one basket queue here; the second finds it submitted.
            locked = Basket._default_manager.select_for_update().get(pk=basket.pk)
            if locked.status != Basket.OPEN:
                placed = InstallmentPlan.objects.filter(stripe_setup_intent_id=intent.id).first()
                if placed is not None:
                    return placed.order, False
                raise CheckoutStopped("This basket has already been checked out.")
            order = self.trial_order_write(
                basket=basket, card=saved_card, first_payment=first_payment
            )
            plan = plan_start(
                order=order,
                user=user,
                offer=self.offer,
                card=saved_card,
                consent=consent,
                start=start,
                with_trial=with_trial,
            )
            if first_payment is not None:
                first_installment_paid_record(
                    plan=plan, payment_intent_id=first_payment.payment_intent_id, paid_at=start
                )
            basket.submit()
        request.session.pop(SETUP_INTENT_SESSION_KEY, None)
        request.session.pop(NO_TRIAL_SESSION_KEY, None)
        return order, True

    def first_installment_charge(self, *, intent, card_id: str) -> gateway.ChargeResult:
        """Without the tryout the first payment is taken before the order is written; a
        retry after a crash finds that payment instead of charging again."""
        amount_cents = cents(self.offer.installment_amount, currency=self.offer.currency)
        earlier = [
            result
            for result in gateway.payment_intents_for(
                customer_id=intent.customer_id,
                metadata_key="setup_intent",
                metadata_value=intent.id,
            )
            if result.status == "succeeded"
        ]
        if earlier:
            return earlier[0]
        result = gateway.charge_off_session(
            customer_id=intent.customer_id,
            payment_method_id=card_id,
            amount_cents=amount_cents,
            currency=self.offer.currency,
            metadata={"setup_intent": intent.id, "installment": "1"},
            idempotency_key=f"first-installment-{intent.id}",
        )
        if result.status == "succeeded":
            return result
        if result.status == "requires_action":
            raise CheckoutStopped(
                "Your bank asks you to confirm this payment, which cannot be done here yet. "
                "Nothing has been charged; please try another card."
            )
        raise CheckoutStopped(
            result.failure_message or "Your card was declined. Please try another card."
        )

    def trial_order_write(self, *, basket, card: SavedCard, first_payment=None):
        """The Oscar order: the full price allocated to the saved card; nothing debited in
        the tryout, the first installment when bought without it."""
        shipping_method = NoShippingRequired()
        shipping_charge = shipping_method.calculate(basket)
        total = OrderTotalCalculator(self.request).calculate(basket, shipping_charge)
        source_type, _ = SourceType.objects.get_or_create(name="Stripe")
        self.add_payment_source(
            Source(
                source_type=source_type,
                currency=total.currency,
                amount_allocated=total.incl_tax,
                # Payments are debited as they are recorded (shop.billing.transitions).
                amount_debited=Decimal("0"),
                reference=card.payment_method_id,
                label=f"{card.brand} ····{card.last4}".strip(),
            )
        )
        if first_payment is None:
            self.add_payment_event(
                "Card saved, tryout started", Decimal("0.00"), card.setup_intent_id
            )
        return self.place_order(
            status="Installment 1 paid" if first_payment else "Trialing",
            order_number=self.generate_order_number(basket),
            user=self.request.user,
            basket=basket,
            shipping_address=None,
            shipping_method=shipping_method,
            shipping_charge=shipping_charge,
            order_total=total,
            billing_address=None,
        )
