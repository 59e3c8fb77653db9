"""Amounts in each currency's smallest unit: cents for dollars, whole yen for yen."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from shop import gateway
from shop.billing.charging import _money, charge_installment
from shop.billing.models import TrialOffer
from shop.billing.money import CURRENCIES, from_minor_units, minor_units
from shop.billing.services import cents
from shop.billing.templatetags.money_tags import cents_as_money
from tests.shop.billing_helpers import day
from tests.shop.factories import ProgramFactory, plan_for_tests


@pytest.mark.parametrize(
    ("amount", "currency", "units"),
    [
        (Decimal("98.50"), "USD", 9850),
        (Decimal("98.5"), "eur", 9850),
        (Decimal("0.01"), "GBP", 1),
        (Decimal("9850"), "JPY", 9850),
        (Decimal("9850.00"), "JPY", 9850),
    ],
)
def test_amounts_become_the_currencys_smallest_units_and_back(amount, currency, units):
    assert minor_units(amount, currency) == units
    assert from_minor_units(units, currency) == amount
    assert cents(amount, currency=currency) == units
    assert _money(units, currency=currency) == amount


def test_the_old_callers_without_a_currency_still_mean_dollars():
    assert cents(Decimal("98.50")) == 9850
    assert _money(9850) == Decimal("98.50")
    assert str(from_minor_units(9850, "JPY")) == "9850"
    assert str(from_minor_units(9850, "USD")) == "98.50"


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        (Decimal("98.505"), "USD"),
        (Decimal("98.50"), "JPY"),
        (Decimal("0.5"), "JPY"),
        (Decimal("Infinity"), "USD"),
        (Decimal("NaN"), "USD"),
    ],
)
def test_an_amount_finer_than_the_currency_or_not_a_number_is_refused(amount, currency):
    with pytest.raises(ValueError, match="USD|JPY|amount"):
        minor_units(amount, currency)


def test_a_currency_the_site_does_not_handle_is_refused():
    assert {"USD", "EUR", "GBP", "CAD", "AUD", "NZD", "CHF", "JPY"} <= CURRENCIES
    for code in ("SEK", "KWD", "XYZ", ""):
        with pytest.raises(ValueError, match="USD"):
            minor_units(Decimal("10"), code)
        with pytest.raises(ValueError, match="USD"):
            from_minor_units(1000, code)


def test_amounts_are_shown_in_the_currencys_own_units():
    assert cents_as_money(9850, "USD") == "$98.50"
    assert cents_as_money(9850, "JPY") == "¥9,850"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("currency", "amount", "field", "message"),
    [
        ("SEK", "98.50", "currency", "The site takes payments in USD, EUR"),
        ("XYZ", "98.50", "currency", "JPY"),
        ("JPY", "98.50", "installment_amount", "JPY has no smaller unit than 1"),
        ("USD", "98.505", "installment_amount", "at most 2 decimals"),
    ],
)
def test_trial_terms_in_an_unhandled_currency_or_too_fine_an_amount_are_refused(
    currency, amount, field, message
):
    product = ProgramFactory()
    offer = TrialOffer(
        product=product, installment_amount=Decimal(amount), installment_count=2, currency=currency
    )
    with pytest.raises(ValidationError) as refused:
        offer.clean()
    assert any(message in m for m in refused.value.message_dict[field]), refused.value


@pytest.mark.django_db
def test_a_plan_in_yen_charges_the_yen_it_shows(billing_standin, billing_reader):
    product = ProgramFactory(installment_amount=Decimal("9850"), currency="JPY")
    plan = plan_for_tests(user=billing_reader, product=product, start=day(0))
    assert plan.currency == "JPY"
    assert plan.installment_amount_cents == 9850 and plan.total_cents == 19700

    charge = plan.charges.get(sequence=1)
    assert charge_installment(charge_id=charge.pk, now=day(14)).outcome == "succeeded"
    charge.refresh_from_db()
    at_stripe = gateway.payment_intent_retrieve(charge.payment_intent_id)
    assert at_stripe.amount_cents == 9850
    assert plan.order.sources.get().amount_debited == Decimal("9850")
    assert plan.events.get(kind="charge_succeeded").note.endswith("9850 JPY.")
