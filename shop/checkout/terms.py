"""The terms the payment page shows, and the signed copy of them its form sends back.

The page signs exactly what it showed (amounts in cents, count, interval, tryout days,
currency, dates, with or without the tryout, and a hash of the consent text); the submit
is accepted only when the terms worked out again at that moment are the same."""

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_currency
from django.core import signing

from shop import gateway
from shop.billing import money
from shop.billing.selectors import TrialDisclosure
from shop.billing.services import cents
from shop.errors import RefusedWithMessage

TERMS_SALT = "shop.checkout.terms"

TERMS_CHANGED = (
    "The terms have changed since you opened this page. Please read them again below and "
    "tick the box if you agree; nothing has been charged."
)
DATES_MOVED = (
    "The dates of your payments have moved on since the page was opened. "
    "Please read them again and tick the box."
)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def terms_sign(terms: dict) -> str:
    """The terms as a signed token for the page's form (the same terms give the same token)."""
    return signing.Signer(salt=TERMS_SALT).sign_object(terms, compress=True)


def terms_read(token: str) -> dict | None:
    """The terms a form was shown with, or None when the token was not signed by us."""
    try:
        return signing.Signer(salt=TERMS_SALT).unsign_object(token or "")
    except (signing.BadSignature, ValueError):
        return None


def terms_difference(signed: dict | None, current: dict) -> str:
    """What to tell the customer when the terms they signed are not the current ones, or ""."""
    if signed == current:
        return ""
    if signed is not None and {**signed, "dates": None, "consent": None} == {
        **current,
        "dates": None,
        "consent": None,
    }:
        return DATES_MOVED
    return TERMS_CHANGED


def program_terms(disclosure: TrialDisclosure, *, product_id: int) -> dict:
    """The program's terms as shown: each charge, the tryout, and the consent's wording."""
    t = disclosure.terms
    return {
        "kind": "program",
        "product": product_id,
        "with_trial": disclosure.with_trial,
        "trial_days": t.trial_days if disclosure.with_trial else 0,
        "amount_cents": cents(t.installment_amount, currency=t.currency),
        "count": t.installment_count,
        "interval_days": t.interval_days,
        "currency": t.currency.upper(),
        "dates": [line.due_on.isoformat() for line in disclosure.charges],
        "consent": _sha256(disclosure.consent_text + "\n" + disclosure.immediate_access_text),
    }


@dataclass(frozen=True)
class PurchaseLine:
    product_id: int
    title: str
    quantity: int
    amount_display: str


@dataclass(frozen=True)
class PurchaseDisclosure:
    """A basket of products sold outright, paid at once in one payment."""

    lines: tuple[PurchaseLine, ...]
    total: Decimal
    currency: str
    with_trial: bool = False

    @property
    def total_cents(self) -> int:
        return cents(self.total, currency=self.currency)

    @property
    def total_display(self) -> str:
        return format_currency(self.total, self.currency, locale="en_US")

    @property
    def titles(self) -> str:
        return ", ".join(
            line.title if line.quantity == 1 else f"{line.quantity} × {line.title}"
            for line in self.lines
        )

    @property
    def consent_text(self) -> str:
        return (
            f"I agree to pay {self.total_display} now for {self.titles}, in one payment "
            "on the card I enter."
        )

    @property
    def immediate_access_text(self) -> str:
        return (
            f"I ask for immediate access to {self.titles} and acknowledge that my 14-day "
            "right of withdrawal ends once the download starts."
        )

    def signed_terms(self) -> dict:
        return {
            "kind": "purchase",
            "lines": [[line.product_id, line.quantity, line.amount_display] for line in self.lines],
            "amount_cents": self.total_cents,
            "currency": self.currency.upper(),
            "dates": None,
            "consent": _sha256(self.consent_text + "\n" + self.immediate_access_text),
        }


class BasketNotPayable(RefusedWithMessage):
    """The site cannot take payment for this basket; the message says what to change."""


def basket_purchase_disclosure(basket) -> PurchaseDisclosure:
    """What a basket of products sold outright costs, in the words the page shows it.

    Raises BasketNotPayable for a product that is not available or has no price, a price
    of nothing, a currency the payment account does not take, or a product to be posted."""
    lines = []
    currencies = set()
    for line in basket.all_lines():
        product, title = line.product, line.product.get_title()
        info = line.purchase_info
        if not product.is_public or not info.availability.is_available_to_buy:
            raise BasketNotPayable(
                f"{title} is not available any more. Please remove it from your basket."
            )
        price = line.unit_price_incl_tax
        if price is None:
            raise BasketNotPayable(
                f"{title} has no price yet, so it cannot be bought. Please remove it from "
                "your basket."
            )
        if price <= 0:
            raise BasketNotPayable(
                f"{title} has nothing to pay, so it cannot go through the checkout. Please "
                "remove it from your basket and contact us."
            )
        currency = (info.price.currency or "").upper()
        if currency not in money.CURRENCIES or not gateway.currency_supported(currency):
            raise BasketNotPayable(
                f"{title} is priced in {currency or 'no currency'}, which we cannot take "
                "payment in. Please remove it from your basket and contact us."
            )
        if product.get_product_class().requires_shipping:
            raise BasketNotPayable(
                f"{title} has to be posted, which cannot be ordered online. Please remove it "
                "from your basket and contact us."
            )
        currencies.add(currency)
        lines.append(
            PurchaseLine(
                product_id=product.pk,
                title=title,
                quantity=line.quantity,
                amount_display=format_currency(price * line.quantity, currency, locale="en_US"),
            )
        )
    if len(currencies) > 1:
        raise BasketNotPayable(
            "Your basket holds prices in more than one currency. Please buy them separately."
        )
    if not lines:
        raise BasketNotPayable("Your basket is empty.")
    total = basket.total_incl_tax
    return PurchaseDisclosure(lines=tuple(lines), total=total, currency=currencies.pop())
