"""The author sets a program's tryout and installments on the dashboard's product page."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils.html import escape
from oscar.core.loading import get_model
from oscar.test.factories import CategoryFactory, create_product

from shop.billing.models import TrialOffer
from tests.shop.dashboard_forms import form_data_from_page
from tests.shop.factories import ProgramFactory

Partner = get_model("partner", "Partner")
Product = get_model("catalogue", "Product")
ProductCategory = get_model("catalogue", "ProductCategory")
ProductClass = get_model("catalogue", "ProductClass")
StockRecord = get_model("partner", "StockRecord")

pytestmark = pytest.mark.django_db

TRIAL = "trial_offer-0-"


@pytest.fixture
def author(client, django_user_model):
    user = django_user_model.objects.create_user(
        "author", "author@example.com", "pw-long-123!", is_staff=True
    )
    # Oscar's dashboard asks staff for the product permissions too.
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="catalogue",
            codename__in=["view_product", "add_product", "change_product"],
        )
    )
    client.force_login(user)
    return user


@pytest.fixture
def program_without_terms(programs):
    product = create_product(title="The Program", price=Decimal("197.00"), num_in_stock=None)
    product.product_class = ProductClass.objects.get(slug="digital-program")
    product.save()
    return in_category(product, programs)


@pytest.fixture
def programs():
    """Oscar refuses a stand-alone product without a category."""
    return CategoryFactory(name="Programs")


def in_category(product, category):
    ProductCategory.objects.create(product=product, category=category)
    return product


def page_url(product):
    return f"/shop/dashboard/catalogue/products/{product.pk}/"


def post_terms(client, product, **terms):
    page = client.get(page_url(product))
    assert page.status_code == 200
    data = form_data_from_page(page.content.decode())
    data.update({TRIAL + name: value for name, value in terms.items()})
    data["action"] = "continue"
    return client.post(page_url(product), data)


VALID = {
    "trial_days": "14",
    "installment_count": "2",
    "installment_amount": "98.50",
    "interval_days": "28",
    "currency": "USD",
}


def test_the_product_page_has_a_trial_and_installments_section(client, author, programs):
    product = in_category(ProgramFactory(), programs)
    html = client.get(page_url(product)).content.decode()
    assert "Trial and installments" in html
    assert 'name="trial_offer-0-installment_amount"' in html
    assert "$98.50 every 4 weeks" in html
    assert "$197.00 in total" in html


def test_valid_terms_are_saved(client, author, program_without_terms):
    response = post_terms(client, program_without_terms, **VALID)

    assert response.status_code == 302, response.context["trial_formset"].errors
    offer = TrialOffer.objects.get(product=program_without_terms)
    assert offer.trial_days == 14
    assert offer.installment_count == 2
    assert offer.installment_amount == Decimal("98.50")
    assert offer.interval_days == 28
    assert offer.currency == "USD"
    assert offer.total == Decimal("197.00")
    assert "$197.00 in total" in client.get(page_url(program_without_terms)).content.decode()


def test_a_product_without_terms_can_still_be_saved(client, author, program_without_terms):
    response = post_terms(client, program_without_terms)
    assert response.status_code == 302
    assert not TrialOffer.objects.exists()


def refused(response, field, message):
    assert response.status_code == 200
    form = response.context["trial_formset"].forms[0]
    assert any(message in error for error in form.errors[field]), form.errors
    assert escape(message) in response.content.decode()
    return True


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"installment_count": "0"}, "installment_count", "There must be at least one payment."),
        (
            {"installment_amount": "0"},
            "installment_amount",
            "The amount of each payment must be above zero.",
        ),
        (
            {"installment_amount": "-98.50"},
            "installment_amount",
            "The amount of each payment must be above zero.",
        ),
        (
            {"installment_amount": "90.00"},
            "installment_amount",
            "The product's price is $197.00, but 2 payments of $90.00 make $180.00: "
            "make them add up.",
        ),
        (
            {"installment_count": "3", "installment_amount": "65.00"},
            "installment_amount",
            "The product's price is $197.00, but 3 payments of $65.00 make $195.00: "
            "make them add up.",
        ),
        (
            {"currency": "EUR"},
            "currency",
            "The product's price is in USD: charge the payments in USD too.",
        ),
        (
            {"currency": "sek"},
            "currency",
            "The site takes payments in USD, EUR, GBP, CAD, AUD, NZD, CHF, JPY, KRW only, "
            "not “SEK”.",
        ),
        (
            {"currency": "JPY"},
            "installment_amount",
            "JPY has no smaller unit than 1: enter a whole amount.",
        ),
    ],
)
def test_invalid_terms_are_refused_and_nothing_is_saved(
    client, author, program_without_terms, changes, field, message
):
    program_without_terms.title = "Before"
    program_without_terms.save()
    terms = {**VALID, **changes}
    page = client.get(page_url(program_without_terms))
    data = form_data_from_page(page.content.decode())
    data.update({TRIAL + name: value for name, value in terms.items()})
    data["title"] = "After"

    response = client.post(page_url(program_without_terms), data)

    assert refused(response, field, message)
    assert not TrialOffer.objects.exists()
    program_without_terms.refresh_from_db()
    assert program_without_terms.title == "Before"


def test_terms_need_a_price_to_add_up_to(client, author, programs):
    product = Product.objects.create(
        title="Unpriced", product_class=ProductClass.objects.get(slug="digital-program")
    )
    in_category(product, programs)
    response = post_terms(client, product, **VALID)
    assert refused(
        response,
        "installment_amount",
        "Give the product a price under “Stock and pricing” first",
    )
    assert not TrialOffer.objects.exists()


def test_price_and_terms_changed_together_are_checked_against_each_other(
    client, author, program_without_terms
):
    page = client.get(page_url(program_without_terms))
    data = form_data_from_page(page.content.decode())
    data["stockrecords-0-price"] = "147.00"
    data.update({TRIAL + name: value for name, value in VALID.items()})
    data[TRIAL + "installment_count"] = "3"
    data[TRIAL + "installment_amount"] = "49.00"

    response = client.post(page_url(program_without_terms), data)

    assert response.status_code == 302
    assert StockRecord.objects.get(product=program_without_terms).price == Decimal("147.00")
    assert TrialOffer.objects.get(product=program_without_terms).total == Decimal("147.00")


def test_existing_terms_are_edited(client, author, programs):
    product = in_category(ProgramFactory(), programs)
    StockRecord.objects.filter(product=product).update(price=Decimal("210.00"))

    response = post_terms(
        client, product, installment_count="3", installment_amount="70.00", interval_days="14"
    )

    assert response.status_code == 302
    offer = TrialOffer.objects.get(product=product)
    assert (offer.installment_count, offer.installment_amount, offer.interval_days) == (
        3,
        Decimal("70.00"),
        14,
    )
    assert TrialOffer.objects.count() == 1


def test_existing_terms_that_stop_adding_up_are_refused_and_kept(client, author, programs):
    product = in_category(ProgramFactory(), programs)

    response = post_terms(client, product, installment_amount="99.00")

    assert refused(
        response,
        "installment_amount",
        "The product's price is $197.00, but 2 payments of $99.00 make $198.00",
    )
    assert TrialOffer.objects.get(product=product).installment_amount == Decimal("98.50")


def test_deleting_the_terms_stops_the_trial(client, author, programs):
    product = in_category(ProgramFactory(), programs)
    response = post_terms(client, product, DELETE="on")
    assert response.status_code == 302
    assert not TrialOffer.objects.filter(product=product).exists()


def test_a_new_digital_program_is_created_with_its_terms(client, author, programs):
    partner = Partner.objects.create(name="The author")
    url = "/shop/dashboard/catalogue/products/create/digital-program/"
    page = client.get(url)
    assert page.status_code == 200
    data = form_data_from_page(page.content.decode())
    data.update(
        {
            "title": "New Program",
            "productcategory_set-0-category": programs.pk,
            "stockrecords-0-partner": partner.pk,
            "stockrecords-0-partner_sku": "PROGRAM-2",
            "stockrecords-0-price_currency": "USD",
            "stockrecords-0-price": "197.00",
        }
    )
    data.update({TRIAL + name: value for name, value in VALID.items()})

    response = client.post(url, data)

    assert response.status_code == 302, response.context["trial_formset"].errors
    product = Product.objects.get(title="New Program")
    assert product.get_product_class().slug == "digital-program"
    assert product.trial_offer.total == Decimal("197.00")
