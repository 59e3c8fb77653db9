"""Checkout: the trial-then-installments program, and products sold outright.

Oscar's flow, shipping skipped: sign in or register, then one payment page where Stripe.js
saves the card through a SetupIntent, the customer reads the terms and ticks the consent.
With the tryout nothing is charged and the order, its plan and its download grant are
written together. Without it (or for products sold outright) the one payment is claimed
under the basket's lock, taken on-session (the bank's check runs in the page), read back
from Stripe, and only then is the order written. Oscar's own payment and preview steps
never place an order: nothing leaves the shop unpaid."""

import logging
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal

from babel.numbers import format_currency
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.utils import timezone
from oscar.apps.checkout import views
from oscar.core.loading import get_class, get_model

from shop import abuse, gateway
from shop.billing.models import InstallmentPlan, StripeCustomer, TrialOffer
from shop.billing.money import from_minor_units
from shop.billing.selectors import basket_trial_offer, trial_disclosure
from shop.billing.services import (
    ConsentRecord,
    SavedCard,
    TrialNotAllowed,
    consent_record,
    first_installment_paid_record,
    plan_start,
    trial_eligibility_check,
)
from shop.checkout.forms import EU_WITHDRAWAL_COUNTRIES, TrialCheckoutForm
from shop.checkout.models import CheckoutPayment
from shop.checkout.payments import (
    checkout_payment_refund,
    checkout_payment_take,
    checkout_payment_verified,
)
from shop.checkout.terms import (
    BasketNotPayable,
    basket_purchase_disclosure,
    program_terms,
    terms_difference,
    terms_read,
    terms_sign,
)
from shop.downloads.models import DownloadGrant
from shop.errors import RefusedWithMessage
from web.client_address import client_ip
from web.content_security import stripe_js_allow

logger = logging.getLogger(__name__)

Basket = get_model("basket", "Basket")
Order = get_model("order", "Order")
SourceType = get_model("payment", "SourceType")
Source = get_model("payment", "Source")
NoShippingRequired = get_class("shipping.methods", "NoShippingRequired")
OrderTotalCalculator = get_class("checkout.calculators", "OrderTotalCalculator")
UnableToTakePayment = get_class("payment.exceptions", "UnableToTakePayment")

SETUP_INTENT_SESSION_KEY = "trial_checkout_setup_intent"
# Set when the card turned out to have had the tryout: the page then offers the plan without it.
NO_TRIAL_SESSION_KEY = "trial_checkout_without_trial"
# Set when it did and the program is not sold without the tryout: the page says so, once.
CARD_REFUSED_SESSION_KEY = "trial_checkout_card_refused"


class CheckoutStopped(RefusedWithMessage):
    """The order cannot be placed; the message tells the customer why and what to do."""


class PaymentDetailsView(views.PaymentDetailsView):
    """The last checkout step: one page with the terms, the card and the button, for the
    trial product and for products sold outright alike."""

    template_name = "oscar/checkout/payment_details.html"

    # Steps

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            # Everything sold is downloaded from the account: sign in or register first.
            return redirect("checkout:index")
        if request.method == "POST":
            placed = self.order_placed_for(request.POST)
            if placed is not None:
                # A retried submission of an order already placed: show it, do nothing twice.
                request.session["checkout_order_id"] = placed
                return redirect(self.get_success_url())
        self.purchase = None
        try:
            self.offer = basket_trial_offer(request.basket)
            if self.offer is None and not request.basket.is_empty:
                self.purchase = basket_purchase_disclosure(request.basket)
        except RefusedWithMessage as exc:
            messages.error(request, exc.user_message)
            return redirect("basket:summary")
        if self.preview:
            # One page holds the terms, the card and the button; Oscar's preview places
            # orders without payment, so it only leads back there.
            return redirect("checkout:payment-details")
        return super().dispatch(request, *args, **kwargs)

    def order_placed_for(self, data) -> int | None:
        """The order a repeated submission (same card saving or same payment) already placed."""
        user = self.request.user
        setup_intent_id = data.get("setup_intent_id", "")
        payment_intent_id = data.get("payment_intent_id", "")
        if setup_intent_id:
            plan = InstallmentPlan.objects.filter(
                user=user, stripe_setup_intent_id=setup_intent_id
            ).first()
            if plan is not None:
                return plan.order_id
        paid = CheckoutPayment.objects.filter(user=user, order__isnull=False)
        if payment_intent_id:
            found = paid.filter(payment_intent_id=payment_intent_id).first()
            if found is not None:
                return found.order_id
        if setup_intent_id:
            found = paid.filter(card__setup_intent_id=setup_intent_id).first()
            if found is not None:
                return found.order_id
        return None

    def get(self, request, *args, **kwargs):
        return self.render_checkout_page(form=None)

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") == "confirm":
            return self.payment_confirmed(request.POST.get("payment_intent_id", ""))
        try:
            abuse.card_declines_check(request=request)
        except abuse.TooManyAttempts as exc:
            return self.render_checkout_page(form=None, error=exc.user_message, status=429)
        if self.offer is None and self.purchase is None:
            return redirect("basket:summary")
        start = timezone.now()
        disclosure, refusal = self.disclosure_now(start)
        if refusal:
            return self.render_checkout_page(form=None, status=400)
        form = TrialCheckoutForm(
            request.POST,
            consent_text=disclosure.consent_text,
            immediate_access_text=disclosure.immediate_access_text,
        )
        if not form.is_valid():
            return self.render_checkout_page(form=form, status=400)
        terms = self.terms_of(disclosure)
        changed = terms_difference(terms_read(form.cleaned_data["terms"]), terms)
        if changed:
            # Nothing is created for terms the customer did not read: show the new ones.
            return self.render_checkout_page(form=None, error=changed, status=400)
        try:
            card = self.card_saved(form)
            consent = self.consent_given(form, start)
            if self.offer is not None and disclosure.with_trial:
                order, created = self.trial_order_place(card=card, consent=consent, start=start)
            else:
                return self.payment_take(card=card, consent=consent, terms=terms)
        except RefusedWithMessage as exc:
            # Stripe out of reach is ours to look into; a refused card or tryout is not.
            log = (
                logger.error if isinstance(exc, gateway.PaymentProviderUnavailable) else logger.info
            )
            log(
                "Checkout of basket %s stopped for user %s%s: %s",
                request.basket.pk,
                request.user.pk,
                f" during {exc.action}" if getattr(exc, "action", "") else "",
                exc,
            )
            # A used or failed SetupIntent cannot be confirmed again: start a fresh one.
            request.session.pop(SETUP_INTENT_SESSION_KEY, None)
            return self.render_checkout_page(form=form, error=exc.user_message, status=400)
        if not created:
            # Already placed by an earlier submission: show it, send nothing twice.
            request.session["checkout_order_id"] = order.pk
            return redirect(self.get_success_url())
        return self.handle_successful_order(order)

    def handle_payment(self, order_number, total, **kwargs):
        # Every order is paid (or its card saved for the tryout) on the payment page;
        # Oscar's own submission takes nothing, so it may never place an order.
        raise UnableToTakePayment("Please pay on the payment page.")

    # The page

    def disclosure_now(self, start):
        """(the terms as they stand at ``start``, why this customer cannot buy, or "")."""
        if self.offer is None:
            return self.purchase, ""
        with_trial, refusal = self.purchase_mode()
        return trial_disclosure(self.offer, start, with_trial=with_trial), refusal

    def terms_of(self, disclosure) -> dict:
        if self.offer is None:
            return disclosure.signed_terms()
        return program_terms(disclosure, product_id=self.offer.product_id)

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
        """The basket's SetupIntent, reused across reloads until it is used or fails; raises
        TooManyAttempts, asking Stripe nothing, when the visitor is over a card limit."""
        abuse.card_declines_check(request=self.request)
        basket = self.request.basket
        saved = self.request.session.get(SETUP_INTENT_SESSION_KEY) or {}
        if saved.get("basket") == basket.pk:
            intent = gateway.setup_intent_retrieve(saved["id"])
            if intent.status in gateway.SETUP_STILL_OPEN:
                return intent
        abuse.card_setup_spend(request=self.request)
        intent = gateway.setup_intent_create(
            customer_id=self.stripe_customer_id(),
            metadata={"basket_id": str(basket.pk), "user_id": str(self.request.user.pk)},
            # A card for products bought outright is used once, with the customer present.
            usage="off_session" if self.offer is not None else "on_session",
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
        refused = self.request.session.get(CARD_REFUSED_SESSION_KEY) or {}
        if refused.get("basket") == self.request.basket.pk:
            return False, refused.get("message", "")
        return True, ""

    def render_checkout_page(self, *, form, error: str = "", status: int = 200):
        disclosure, already_tried = self.disclosure_now(timezone.now())
        token = terms_sign(self.terms_of(disclosure))
        if (
            form is None
            or form.consent_text != disclosure.consent_text
            or form.data.get("terms") != token
        ):
            # New or changed terms: a fresh, unticked consent for exactly these terms.
            country = form.data.get("country", "") if form is not None else ""
            form = TrialCheckoutForm(
                consent_text=disclosure.consent_text,
                immediate_access_text=disclosure.immediate_access_text,
                initial={"terms": token, "country": country},
            )
        if error == already_tried:
            # The refusal is the page's whole message: said once.
            error = ""
        intent = None
        if not already_tried:
            try:
                intent = self.current_setup_intent()
            except RefusedWithMessage as exc:
                error = error or exc.user_message
        stripe_js_allow(self.request)
        context = self.get_context_data(
            trial_form=form,
            disclosure=disclosure,
            offer=self.offer,
            purchase=self.purchase,
            already_tried=already_tried,
            setup_intent=intent,
            stripe_publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
            stripe_js_url=settings.STRIPE_JS_URL,
            eu_countries=sorted(EU_WITHDRAWAL_COUNTRIES),
            # Not "error": Oscar's checkout layout would show that one a second time.
            checkout_error=error,
        )
        return self.render_to_response(context, status=status)

    def render_confirm_page(self, *, payment: CheckoutPayment, result: gateway.ChargeResult):
        """The bank asks the cardholder to confirm (3-D Secure): the page runs its check
        with Stripe.js, then sends the PaymentIntent's id back to be read from Stripe."""
        stripe_js_allow(self.request)
        context = self.get_context_data(
            confirm_payment=payment,
            confirm_result=result,
            amount_display=format_currency(
                from_minor_units(payment.amount_cents, payment.currency),
                payment.currency,
                locale="en_US",
            ),
            stripe_publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
            stripe_js_url=settings.STRIPE_JS_URL,
        )
        return self.render_to_response(context)

    # Taking the card and the consent

    def card_saved(self, form: TrialCheckoutForm) -> SavedCard:
        """The card saved by the page's SetupIntent, checked with Stripe and attached to the
        customer; raises CheckoutStopped when it did not reach us or was not saved."""
        customer = StripeCustomer.objects.filter(user=self.request.user).first()
        intent = gateway.setup_intent_retrieve(form.cleaned_data["setup_intent_id"])
        if customer is None or intent.customer_id != customer.customer_id:
            raise CheckoutStopped("Your card details did not reach us. Please enter them again.")
        if intent.status != gateway.IntentStatus.SUCCEEDED or not intent.payment_method_id:
            abuse.card_decline_record(request=self.request)
            raise CheckoutStopped(
                "Your card could not be saved. Please check the details or try another card."
            )
        card = gateway.card_attach(
            payment_method_id=intent.payment_method_id, customer_id=intent.customer_id
        )
        return SavedCard(
            customer_id=intent.customer_id,
            payment_method_id=card.id,
            setup_intent_id=intent.id,
            fingerprint=card.fingerprint or "",
            brand=card.brand or "",
            last4=card.last4 or "",
        )

    def consent_given(self, form: TrialCheckoutForm, start) -> ConsentRecord:
        """The consent with the exact text the page showed (the signed terms match it)."""
        immediate = bool(form.cleaned_data.get("immediate_access"))
        return ConsentRecord(
            text=form.consent_text,
            accepted_at=start,
            ip_address=client_ip(self.request),
            user_agent=self.request.headers.get("User-Agent", ""),
            country=form.cleaned_data["country"],
            immediate_access_requested=immediate,
            immediate_access_text=form.immediate_access_text if immediate else "",
        )

    # The free tryout: nothing charged

    def trial_order_place(self, *, card: SavedCard, consent: ConsentRecord, start) -> tuple:
        """Write order, plan and grant at once for the tryout; returns the order and whether
        this call created it."""
        request, user, basket = self.request, self.request.user, self.request.basket
        existing = InstallmentPlan.objects.filter(
            stripe_setup_intent_id=card.setup_intent_id
        ).first()
        if existing is not None:
            # The same confirmed card posted twice (a double click, a retried request).
            return existing.order, False
        try:
            trial_eligibility_check(
                product=self.offer.product,
                user=user,
                email=user.email,
                card_fingerprint=card.fingerprint,
            )
        except TrialNotAllowed as exc:
            if not self.offer.sell_without_trial:
                # The page then shows this refusal alone, without the tryout's button.
                request.session[CARD_REFUSED_SESSION_KEY] = {
                    "basket": basket.pk,
                    "message": exc.user_message,
                }
                raise
            request.session[NO_TRIAL_SESSION_KEY] = basket.pk
            raise CheckoutStopped(
                f"{exc.user_message} You can still buy it without the tryout: please "
                "read the new terms below and tick the box again."
            ) from exc
        with transaction.atomic():
            # Two submissions of one basket queue here; the second finds it submitted.
            locked = Basket._default_manager.select_for_update().get(pk=basket.pk)
            if locked.status != Basket.OPEN:
                placed = InstallmentPlan.objects.filter(
                    stripe_setup_intent_id=card.setup_intent_id
                ).first()
                if placed is not None:
                    return placed.order, False
                raise CheckoutStopped("This basket has already been checked out.")
            order = self.trial_order_write(basket=basket, card=card)
            plan_start(
                order=order,
                user=user,
                offer=self.offer,
                card=card,
                consent=consent,
                start=start,
                with_trial=True,
            )
            basket.submit()
        request.session.pop(SETUP_INTENT_SESSION_KEY, None)
        request.session.pop(NO_TRIAL_SESSION_KEY, None)
        return order, True

    # One payment now: the program without the tryout, or products sold outright

    def payment_take(self, *, card: SavedCard, consent: ConsentRecord, terms: dict):
        """Claim the basket's payment and charge it once, on-session."""
        payment, result = checkout_payment_take(
            basket=self.request.basket,
            user=self.request.user,
            kind=CheckoutPayment.Kind.PURCHASE
            if self.offer is None
            else CheckoutPayment.Kind.PROGRAM,
            amount_cents=terms["amount_cents"],
            currency=terms["currency"],
            terms=terms,
            consent={**asdict(consent), "accepted_at": consent.accepted_at.isoformat()},
            card=card,
        )
        return self.payment_outcome(payment=payment, result=result)

    def payment_confirmed(self, payment_intent_id: str):
        """The page is back from the bank's check: read what happened from Stripe."""
        payment = CheckoutPayment.objects.filter(
            user=self.request.user,
            basket_id=self.request.basket.pk,
            payment_intent_id=payment_intent_id,
        ).first()
        if not payment_intent_id or payment is None:
            return self.render_checkout_page(
                form=None,
                error="We could not find this payment. Nothing more has been charged; "
                "please check the terms and try again.",
                status=400,
            )
        try:
            result = gateway.payment_intent_retrieve(payment_intent_id)
        except gateway.GatewayError as exc:
            return self.render_checkout_page(form=None, error=exc.user_message, status=400)
        return self.payment_outcome(payment=payment, result=result)

    def payment_outcome(self, *, payment: CheckoutPayment, result):
        if payment.order_id is not None or result is None:
            self.request.session["checkout_order_id"] = payment.order_id
            return redirect(self.get_success_url())
        if result.status in (
            gateway.PaymentStatus.REQUIRES_ACTION,
            gateway.PaymentStatus.PROCESSING,
        ):
            return self.render_confirm_page(payment=payment, result=result)
        if result.status != gateway.PaymentStatus.SUCCEEDED:
            abuse.card_decline_record(request=self.request)
            self.request.session.pop(SETUP_INTENT_SESSION_KEY, None)
            return self.render_checkout_page(
                form=None,
                error=result.failure_message
                or "Your card was declined. Nothing has been charged; please try another card.",
                status=400,
            )
        try:
            order, created = self.paid_order_place(payment=payment)
        except RefusedWithMessage as exc:
            logger.warning("Paid checkout %s not placed: %s", payment.pk, exc)
            self.request.session.pop(SETUP_INTENT_SESSION_KEY, None)
            return self.render_checkout_page(form=None, error=exc.user_message, status=400)
        if not created:
            self.request.session["checkout_order_id"] = order.pk
            return redirect(self.get_success_url())
        self.request.session.pop(SETUP_INTENT_SESSION_KEY, None)
        self.request.session.pop(NO_TRIAL_SESSION_KEY, None)
        return self.handle_successful_order(order)

    def paid_order_place(self, *, payment: CheckoutPayment) -> tuple:
        """Once Stripe says the payment succeeded for this customer, amount and currency,
        write the order (and the plan) from the terms the customer signed, at once."""
        paid = checkout_payment_verified(payment=payment)
        if paid.status != gateway.PaymentStatus.SUCCEEDED:
            raise CheckoutStopped("Your payment has not gone through yet. Please try again.")
        basket = self.request.basket
        with transaction.atomic():
            locked = Basket._default_manager.select_for_update().get(pk=payment.basket_id)
            payment = CheckoutPayment.objects.select_for_update().get(pk=payment.pk)
            if payment.order_id is not None:
                return payment.order, False
            if locked.status != Basket.OPEN or basket.pk != payment.basket_id:
                raise CheckoutStopped("This basket has already been checked out.")
            now = timezone.now()
            if payment.kind == CheckoutPayment.Kind.PROGRAM:
                order = self.program_order_write(payment=payment, paid=paid, now=now)
            else:
                order = self.purchase_order_write(payment=payment, paid=paid, now=now)
            if order is None:
                # The basket changed after it was paid: the payment is given back in full.
                transaction.on_commit(
                    lambda: checkout_payment_refund(
                        payment=payment, reason="basket changed after payment"
                    ),
                    robust=True,
                )
            else:
                payment.order = order
                payment.save(update_fields=["order", "updated_at"])
                basket.submit()
        if order is None:
            raise CheckoutStopped(
                "Your basket changed while your payment was being confirmed, so the payment "
                "is being given back in full. Please check your basket and pay again."
            )
        return order, True

    def program_order_write(self, *, payment: CheckoutPayment, paid, now):
        """The program's order and plan without the tryout, installment 1 paid."""
        terms = payment.terms
        # The plan follows the terms signed and paid, even if the offer changed since.
        signed_offer = TrialOffer(
            product=self.offer.product,
            trial_days=self.offer.trial_days,
            installment_count=terms["count"],
            installment_amount=from_minor_units(terms["amount_cents"], terms["currency"]),
            interval_days=terms["interval_days"],
            currency=terms["currency"],
            sell_without_trial=True,
        )
        card = SavedCard(**payment.card)
        order = self.trial_order_write(
            basket=self.request.basket,
            card=card,
            first_payment=paid,
        )
        plan = plan_start(
            order=order,
            user=self.request.user,
            offer=signed_offer,
            card=card,
            consent=self.consent_stored(payment),
            start=now,
            with_trial=False,
        )
        first_installment_paid_record(
            plan=plan, payment_intent_id=paid.payment_intent_id, paid_at=now
        )
        return order

    def purchase_order_write(self, *, payment: CheckoutPayment, paid, now):
        """The order of products sold outright, paid in full; None when the basket no longer
        costs what was paid."""
        basket = self.request.basket
        total = self.order_total(basket)
        try:
            now_terms = basket_purchase_disclosure(basket).signed_terms()
        except BasketNotPayable:
            return None
        if now_terms["amount_cents"] != payment.amount_cents or now_terms["lines"] != (
            payment.terms.get("lines")
        ):
            return None
        card = SavedCard(**payment.card)
        self.add_payment_event("Paid", total.incl_tax, paid.payment_intent_id)
        order = self.order_place(
            basket=basket,
            status="Paid",
            debited=total.incl_tax,
            reference=paid.payment_intent_id,
            card=card,
        )
        for line in order.lines.select_related("product"):
            if line.product is not None:
                DownloadGrant.objects.get_or_create(
                    order=order,
                    product=line.product,
                    defaults={"user": self.request.user, "starts_at": now},
                )
        consent_record(order=order, consent=self.consent_stored(payment))
        return order

    @staticmethod
    def consent_stored(payment: CheckoutPayment) -> ConsentRecord:
        data = dict(payment.consent)
        data["accepted_at"] = datetime.fromisoformat(data["accepted_at"])
        return ConsentRecord(**data)

    def trial_order_write(self, *, basket, card: SavedCard, first_payment=None):
        """The Oscar order: the full price allocated to the saved card; nothing debited yet
        (payments are debited as they are recorded, shop.billing.transitions)."""
        if first_payment is None:
            self.add_payment_event(
                "Card saved, tryout started", Decimal("0.00"), card.setup_intent_id
            )
        return self.order_place(
            basket=basket,
            status="Payments under way" if first_payment else "Free tryout",
            debited=Decimal("0"),
            reference=card.payment_method_id,
            card=card,
        )

    def order_total(self, basket):
        return OrderTotalCalculator(self.request).calculate(
            basket, NoShippingRequired().calculate(basket)
        )

    def order_place(self, *, basket, status: str, debited: Decimal, reference: str, card):
        """Place the basket's order, nothing shipped, its price allocated to the card."""
        shipping_method = NoShippingRequired()
        shipping_charge = shipping_method.calculate(basket)
        total = OrderTotalCalculator(self.request).calculate(basket, shipping_charge)
        source_type, _ = SourceType.objects.get_or_create(name="Stripe")
        self.add_payment_source(
            Source(
                source_type=source_type,
                currency=total.currency,
                amount_allocated=total.incl_tax,
                amount_debited=debited,
                reference=reference,
                label=f"{card.brand} ····{card.last4}".strip(),
            )
        )
        return self.place_order(
            status=status,
            order_number=self.generate_order_number(basket),
            user=self.request.user,
            basket=basket,
            shipping_address=None,
            shipping_method=shipping_method,
            shipping_charge=shipping_charge,
            order_total=total,
            billing_address=None,
        )
