from django import forms

from shop.billing.models import ScheduledCharge
from shop.billing.money import amount_problem, from_minor_units, minor_units

NOT_A_NUMBER = "Enter the amount to refund as a number, e.g. 98.50."


class RefundAmountForm(forms.Form):
    """The amount the author gives back for one paid installment, in its currency.

    ``cleaned_data["amount"]`` is in the currency's smallest unit (cents, whole yen)."""

    amount = forms.DecimalField(
        error_messages={
            "required": "Enter the amount to refund, e.g. 98.50.",
            "invalid": NOT_A_NUMBER,
        },
    )

    def __init__(self, *args, charge: ScheduledCharge, **kwargs):
        super().__init__(*args, **kwargs)
        self.charge = charge
        self.refundable = charge.amount_cents - charge.refunded_cents

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        currency = self.charge.currency
        if amount <= 0:
            raise forms.ValidationError("Enter an amount above zero.")
        problem = amount_problem(amount, currency)
        if problem:
            raise forms.ValidationError(problem)
        # Checked before converting, so 1e400 is "too much", never a number too big to hold;
        # nothing left at all is said by the refund itself ("already fully refunded").
        if self.refundable > 0 and amount > from_minor_units(self.refundable, currency):
            raise forms.ValidationError(
                f"At most {from_minor_units(self.refundable, currency)} {currency} "
                f"of payment {self.charge.sequence} can be refunded."
            )
        return minor_units(amount, currency)
