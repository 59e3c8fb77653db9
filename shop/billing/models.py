from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class TrialOffer(models.Model):
    """The terms on which a program is sold: a free tryout, then equal installments.

    The total is derived (installments × amount), never typed in, so it cannot disagree."""

    product = models.OneToOneField(
        "catalogue.Product", on_delete=models.CASCADE, related_name="trial_offer"
    )
    trial_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="Days of free tryout before the first charge.",
    )
    installment_count = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text="How many payments in all.",
    )
    installment_amount = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.50"))],
        help_text="The amount of each payment.",
    )
    interval_days = models.PositiveSmallIntegerField(
        default=28,
        validators=[MinValueValidator(7), MaxValueValidator(366)],
        help_text="Days between payments (28 = every 4 weeks).",
    )
    currency = models.CharField(max_length=3, default=settings.OSCAR_DEFAULT_CURRENCY)

    class Meta:
        verbose_name = "trial offer"

    def __str__(self):
        return f"{self.product}: {self.installment_count} × {self.installment_amount}"

    @property
    def total(self) -> Decimal:
        return self.installment_amount * self.installment_count

    def charge_dates(self, start: date) -> list[date]:
        """Dates of each payment for a tryout starting on ``start``."""
        first = start + timedelta(days=self.trial_days)
        return [
            first + timedelta(days=self.interval_days * i) for i in range(self.installment_count)
        ]

    def clean(self):
        errors = {}
        if self.installment_count is not None and self.installment_count < 1:
            errors["installment_count"] = "There must be at least one payment."
        if self.installment_amount is not None and self.installment_amount <= 0:
            errors["installment_amount"] = "The amount of each payment must be above zero."
        if self.currency and (len(self.currency) != 3 or not self.currency.isalpha()):
            errors["currency"] = "Use a three-letter currency code such as USD."
        if errors:
            raise ValidationError(errors)
        self.currency = self.currency.upper()

    def validate_against_price(self, price: Decimal, currency: str) -> None:
        """Refuse terms that would charge more or less than the product's price, or in
        another currency: the reader pays exactly the price shown on the product page."""
        from babel.numbers import format_currency

        currency = currency.upper()
        if (self.currency or "").upper() != currency:
            raise ValidationError(
                {
                    "currency": f"The product's price is in {currency}: "
                    f"charge the payments in {currency} too."
                }
            )
        if self.total != price:

            def money(amount):
                return format_currency(amount, currency, locale="en_US")

            count = self.installment_count
            payments = "1 payment" if count == 1 else f"{count} payments"
            verb = "makes" if count == 1 else "make"
            raise ValidationError(
                {
                    "installment_amount": f"The product's price is {money(price)}, but "
                    f"{payments} of {money(self.installment_amount)} {verb} "
                    f"{money(self.total)}: make them add up."
                }
            )
