from decimal import Decimal

from django import forms

from shop.billing.models import TrialOffer
from shop.billing.money import CurrencyNotHandled, currency_decimals
from shop.billing.selectors import TrialTerms


class TrialOfferForm(forms.ModelForm):
    """The tryout and installments a program is sold on, as the author sets them."""

    def __init__(self, product_class, user, *args, **kwargs):
        # The dashboard hands every product formset's form the product class and user.
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["currency"].widget.attrs.update(size=3, maxlength=3)

    class Meta:
        model = TrialOffer
        fields = [
            "trial_days",
            "installment_count",
            "installment_amount",
            "interval_days",
            "currency",
        ]
        labels = {
            "trial_days": "Free tryout (days)",
            "installment_count": "Number of payments",
            "installment_amount": "Amount of each payment",
            "interval_days": "Days between payments",
        }

    def clean_installment_count(self):
        count = self.cleaned_data["installment_count"]
        if count is not None and count < 1:
            raise forms.ValidationError("There must be at least one payment.")
        return count

    def clean_installment_amount(self):
        amount = self.cleaned_data["installment_amount"]
        if amount is not None and amount <= Decimal("0"):
            raise forms.ValidationError("The amount of each payment must be above zero.")
        return amount

    def clean_currency(self):
        currency = self.cleaned_data["currency"].upper()
        try:
            currency_decimals(currency)
        except CurrencyNotHandled as exc:
            raise forms.ValidationError(str(exc)) from exc
        return currency

    @property
    def terms(self) -> TrialTerms | None:
        """The terms as readers will see them, so the author can check the derived total."""
        offer = self.instance
        if offer.installment_amount is None or not offer.installment_count:
            return None
        return TrialTerms(
            product_title="",
            product_url="",
            trial_days=offer.trial_days,
            installment_count=offer.installment_count,
            installment_amount=offer.installment_amount,
            interval_days=offer.interval_days,
            currency=offer.currency,
            total=offer.total,
            available=True,
        )
