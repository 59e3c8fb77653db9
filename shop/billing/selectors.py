"""Reads of the trial terms, in the one shape every page shows them in."""

from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_currency

from shop.billing.models import TrialOffer


@dataclass(frozen=True)
class TrialTerms:
    product_title: str
    product_url: str
    trial_days: int
    installment_count: int
    installment_amount: Decimal
    interval_days: int
    currency: str
    total: Decimal
    available: bool

    def money(self, amount: Decimal) -> str:
        return format_currency(amount, self.currency, locale="en_US")

    @property
    def installment_display(self) -> str:
        return self.money(self.installment_amount)

    @property
    def total_display(self) -> str:
        return self.money(self.total)

    @property
    def trial_display(self) -> str:
        weeks, rest = divmod(self.trial_days, 7)
        return f"{weeks}-week" if not rest else f"{self.trial_days}-day"

    @property
    def interval_display(self) -> str:
        weeks, rest = divmod(self.interval_days, 7)
        if rest:
            return f"every {self.interval_days} days"
        return "every week" if weeks == 1 else f"every {weeks} weeks"

    @property
    def summary(self) -> str:
        payments = (
            "one payment" if self.installment_count == 1 else (f"{self.installment_count} payments")
        )
        return (
            f"Free for {self.trial_days} days, then {self.installment_display} "
            f"{self.interval_display}, {payments}, {self.total_display} in total."
        )


def trial_terms_for_product(product) -> TrialTerms | None:
    """The product's trial terms, or None when it is not sold on a trial."""
    try:
        offer = product.trial_offer
    except TrialOffer.DoesNotExist:
        return None
    return TrialTerms(
        product_title=product.get_title(),
        product_url=product.get_absolute_url(),
        trial_days=offer.trial_days,
        installment_count=offer.installment_count,
        installment_amount=offer.installment_amount,
        interval_days=offer.interval_days,
        currency=offer.currency,
        total=offer.total,
        available=product.is_public,
    )
