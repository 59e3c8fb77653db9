"""Amounts as Stripe counts them: whole numbers of each currency's smallest unit.

Two-decimal currencies count cents (98.50 USD is 9850); zero-decimal ones count whole units
(9850 JPY is 9850), as listed at https://docs.stripe.com/currencies#zero-decimal. Only the
currencies below are sold in; anything else is refused with a message naming them.
"""

from decimal import Decimal

# The site's currencies and how many decimals each has at Stripe.
DECIMALS: dict[str, int] = {
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CAD": 2,
    "AUD": 2,
    "NZD": 2,
    "CHF": 2,
    "JPY": 0,
    "KRW": 0,
}
CURRENCIES = frozenset(DECIMALS)
CURRENCIES_TEXT = ", ".join(DECIMALS)


class CurrencyNotHandled(ValueError):
    """A currency the site does not sell in; the message names those it does."""


def currency_decimals(currency: str) -> int:
    """How many decimals the currency has (2 for USD, 0 for JPY); refuses any other."""
    code = (currency or "").upper()
    if code not in DECIMALS:
        raise CurrencyNotHandled(
            f"The site takes payments in {CURRENCIES_TEXT} only, not “{currency}”."
        )
    return DECIMALS[code]


def amount_problem(amount: Decimal, currency: str) -> str:
    """Why the amount cannot be charged in the currency, or "" when it can."""
    decimals = currency_decimals(currency)
    if not amount.is_finite():
        return "Enter an amount as a number, e.g. 98.50."
    units = amount.scaleb(decimals)
    if units != units.to_integral_value():
        if decimals == 0:
            return f"{currency.upper()} has no smaller unit than 1: enter a whole amount."
        return f"{currency.upper()} amounts have at most {decimals} decimals."
    return ""


def minor_units(amount: Decimal, currency: str) -> int:
    """The amount in the currency's smallest unit: 98.50 USD → 9850, 9850 JPY → 9850.
    Raises ValueError for a currency the site does not handle, or an amount finer than
    the currency's smallest unit (98.505 USD, 98.50 JPY) or not a number."""
    problem = amount_problem(amount, currency)
    if problem:
        raise ValueError(problem)
    return int(amount.scaleb(currency_decimals(currency)))


def from_minor_units(units: int, currency: str) -> Decimal:
    """The amount for ``units`` of the currency's smallest unit, with the currency's own
    decimals: 9850 USD → Decimal("98.50"), 9850 JPY → Decimal("9850")."""
    decimals = currency_decimals(currency)
    return Decimal(int(units)).scaleb(-decimals).quantize(Decimal(1).scaleb(-decimals))
