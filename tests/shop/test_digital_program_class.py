"""Downloadable programs have a product class of their own from the first migration on."""

import importlib

import pytest
from django.apps import apps
from oscar.core.loading import get_model

ProductClass = get_model("catalogue", "ProductClass")

pytestmark = pytest.mark.django_db

migration = importlib.import_module("shop.billing.migrations.0003_digital_program_product_class")


def test_the_digital_program_class_exists_with_nothing_to_ship_or_count():
    product_class = ProductClass.objects.get(slug="digital-program")
    assert product_class.name == "Digital program"
    assert product_class.requires_shipping is False
    assert product_class.track_stock is False


def test_running_it_again_keeps_one_class_and_the_authors_edits():
    ProductClass.objects.filter(slug="digital-program").update(name="Programs")
    migration.create_digital_program_class(apps, None)
    assert ProductClass.objects.filter(slug="digital-program").count() == 1
    assert ProductClass.objects.get(slug="digital-program").name == "Programs"
