"""The trial terms read the same on the product page, in the basket and in the article's offer,
because all three render one include from the same TrialTerms."""

import re
from decimal import Decimal

import pytest
from django.template import Context, Template
from oscar.core.loading import get_model

from home.blocks import OfferBlock
from shop.billing.selectors import trial_terms_for_product
from tests.shop.factories import ProgramFactory

StockRecord = get_model("partner", "StockRecord")

pytestmark = pytest.mark.django_db

TERMS_2_X_98_50 = [
    "free 2-week tryout",
    "After 14 days",
    "$98.50 every 4 weeks, 2 payments",
    "$197.00",
    "Quit 2-Week Tryout",
]


def terms_block(html: str) -> str:
    """The rendered include, whitespace folded, so the pages can be compared word for word."""
    match = re.search(r'<dl class="trial-terms">.*?</p>', html, re.S)
    assert match, "no trial terms on the page"
    return " ".join(match.group(0).split())


def product_page(client, product) -> str:
    response = client.get(product.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def basket_page(client, product) -> str:
    response = client.post(f"/shop/basket/add/{product.pk}/", {"quantity": 1})
    assert response.status_code == 302
    response = client.get("/shop/basket/")
    assert response.status_code == 200
    return response.content.decode()


def offer_block(product) -> str:
    block = OfferBlock()
    return block.render(block.to_python({"heading": "Try it", "product": product.pk}))


def test_product_page_basket_and_offer_show_the_same_terms(client):
    product = ProgramFactory()

    pages = [product_page(client, product), basket_page(client, product), offer_block(product)]

    for html in pages:
        for text in TERMS_2_X_98_50:
            assert text in html
    assert len({terms_block(html) for html in pages}) == 1


def test_all_three_change_together_when_the_terms_change(client):
    product = ProgramFactory()
    client.post(f"/shop/basket/add/{product.pk}/", {"quantity": 1})
    # The message on adding tells the terms of that moment: read once, before they change.
    client.get("/shop/basket/")
    StockRecord.objects.filter(product=product).update(price=Decimal("147.00"))
    offer = product.trial_offer
    offer.installment_count = 3
    offer.installment_amount = Decimal("49.00")
    offer.trial_days = 7
    offer.interval_days = 14
    offer.save()

    basket = client.get("/shop/basket/").content.decode()
    pages = [product_page(client, product), basket, offer_block(product)]

    for html in pages:
        assert "$49.00 every 2 weeks, 3 payments" in html
        assert "$147.00" in html
        assert "free 1-week tryout" in html
        assert "Quit 1-Week Tryout" in html
        assert "$98.50" not in html
    assert len({terms_block(html) for html in pages}) == 1


def test_a_product_without_a_trial_shows_no_terms(client):
    from oscar.test.factories import create_product

    product = create_product(title="Workbook", price=Decimal("20.00"), num_in_stock=5)
    assert "trial-terms" not in product_page(client, product)
    assert "trial-terms" not in basket_page(client, product)


def test_the_template_tag_reads_the_terms_in_one_query(django_assert_num_queries):
    product = ProgramFactory()
    product = type(product).objects.get(pk=product.pk)
    template = Template(
        "{% load trial_tags %}{% trial_terms_for product as terms %}"
        "{% include 'shop/includes/trial_terms.html' %}"
    )
    with django_assert_num_queries(1):
        html = template.render(Context({"product": product}))
    assert terms_block(html) == terms_block(
        Template("{% include 'shop/includes/trial_terms.html' %}").render(
            Context({"terms": trial_terms_for_product(product)})
        )
    )
