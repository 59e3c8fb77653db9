from django.core.exceptions import ValidationError
from oscar.apps.dashboard.catalogue.views import (
    ProductCreateUpdateView as OscarProductCreateUpdateView,
)

from shop.dashboard.catalogue.formsets import TrialOfferFormSet


def _kept_forms(formset):
    """Forms of a valid formset that will be saved: neither deleted nor left empty."""
    for form in formset.forms:
        if not form.is_valid() or not form.cleaned_data or form.cleaned_data.get("DELETE"):
            continue
        if form.instance.pk is None and not form.has_changed():
            continue
        yield form


class ProductCreateUpdateView(OscarProductCreateUpdateView):
    trial_formset = TrialOfferFormSet

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.formsets["trial_formset"] = self.trial_formset

    def clean(self, form, formsets):
        is_valid = super().clean(form, formsets)
        trial_form = next(_kept_forms(formsets["trial_formset"]), None)
        if trial_form is None:
            return is_valid
        priced = (
            f for f in _kept_forms(formsets["stockrecord_formset"]) if f.cleaned_data.get("price")
        )
        stockrecord_form = next(priced, None)
        if stockrecord_form is None:
            trial_form.add_error(
                "installment_amount",
                "Give the product a price under “Stock and pricing” first: "
                "the payments must add up to it.",
            )
            return False
        try:
            trial_form.instance.validate_against_price(
                stockrecord_form.cleaned_data["price"],
                stockrecord_form.cleaned_data["price_currency"],
            )
        except ValidationError as error:
            trial_form.add_error(None, error)
            return False
        return is_valid
