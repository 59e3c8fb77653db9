"""The checkout form: card (saved by Stripe.js), consent to the terms shown, and the EU
digital-content request. The card number never reaches our server; only the SetupIntent's
id does."""

import pycountry
from django import forms

# Countries where the withdrawal right for digital content ends only with the customer's
# express request for immediate access (EU, EEA, and the UK's equivalent rule).
EU_WITHDRAWAL_COUNTRIES = {
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
    "GB",
}  # fmt: skip

COUNTRY_CHOICES = [("", "Choose your country")] + sorted(
    ((country.alpha_2, country.name) for country in pycountry.countries), key=lambda c: c[1]
)


class TrialCheckoutForm(forms.Form):
    setup_intent_id = forms.CharField(
        widget=forms.HiddenInput,
        error_messages={"required": "Please enter your card details."},
    )
    country = forms.ChoiceField(
        choices=COUNTRY_CHOICES,
        label="Country you live in",
        error_messages={"required": "Please choose the country you live in."},
    )
    consent = forms.BooleanField(
        required=True,
        error_messages={
            "required": "Please tick the box to agree to the payment terms before starting."
        },
    )
    immediate_access = forms.BooleanField(required=False)
    # The terms exactly as the page showed them, signed: the submit must match them.
    terms = forms.CharField(
        widget=forms.HiddenInput,
        error_messages={"required": "This page is out of date. Please read the terms again."},
    )

    def __init__(self, *args, consent_text: str, immediate_access_text: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.consent_text = consent_text
        self.immediate_access_text = immediate_access_text
        self.fields["consent"].label = consent_text
        self.fields["immediate_access"].label = immediate_access_text

    def clean_setup_intent_id(self):
        value = self.cleaned_data["setup_intent_id"].strip()
        if not value.startswith("seti_") or len(value) > 255:
            raise forms.ValidationError("Your card details did not reach us. Please try again.")
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("country") in EU_WITHDRAWAL_COUNTRIES and not cleaned.get(
            "immediate_access"
        ):
            self.add_error(
                "immediate_access",
                "Please tick this box: we can only give you the download at once if you ask "
                "for it.",
            )
        return cleaned

    @property
    def needs_immediate_access(self) -> bool:
        return self.cleaned_data.get("country") in EU_WITHDRAWAL_COUNTRIES
