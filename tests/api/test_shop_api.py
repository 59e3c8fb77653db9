"""The program with its tryout and installment terms."""

from decimal import Decimal

import pytest
from oscar.test.factories import create_product

from tests.shop.factories import ProgramFactory

pytestmark = pytest.mark.django_db

FIELDS = {
    "id",
    "title",
    "url",
    "price",
    "currency",
    "trial_days",
    "installment_count",
    "installment_amount",
    "interval_days",
    "total",
    "available",
}


def test_products_list_and_detail_carry_the_trial_terms(client):
    product = ProgramFactory(installment_amount=Decimal("98.50"))
    data = client.get("/api/shop/products/").json()
    assert data["meta"]["total_count"] == 1
    item = data["items"][0]
    assert set(item) == FIELDS
    assert item == client.get(f"/api/shop/products/{product.pk}/").json()
    assert item["id"] == product.pk
    assert item["title"] == product.get_title()
    assert item["url"] == f"http://testserver{product.get_absolute_url()}"
    assert item["trial_days"] == 14
    assert item["installment_count"] == 2
    assert item["installment_amount"] == "98.50"
    assert item["interval_days"] == 28
    assert item["total"] == "197.00"
    assert item["price"] == "197.00"
    assert item["currency"] == "USD"
    assert item["available"] is True


def test_hidden_products_and_products_without_trial_are_left_out(client):
    hidden = ProgramFactory(title="Hidden program")
    hidden.is_public = False
    hidden.save()
    plain = create_product(title="A plain book", price=Decimal("10.00"))
    data = client.get("/api/shop/products/").json()
    assert data["items"] == []
    assert client.get(f"/api/shop/products/{hidden.pk}/").status_code == 404
    assert client.get(f"/api/shop/products/{plain.pk}/").status_code == 404
