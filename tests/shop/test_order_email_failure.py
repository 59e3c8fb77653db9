"""A failing confirmation email must not undo a placed order (Oscar would thaw the basket
and show an error for an order that exists, inviting a second one)."""

import logging
from decimal import Decimal

import pytest
from oscar.core.loading import get_model
from oscar.test.factories import create_product

from tests.support.processes import free_port

Order = get_model("order", "Order")
Basket = get_model("basket", "Basket")

pytestmark = pytest.mark.django_db


@pytest.fixture
def digital_product():
    product = create_product(price=Decimal("98.50"), num_in_stock=None)
    product.get_product_class().requires_shipping = False
    product.get_product_class().track_stock = False
    product.get_product_class().save()
    return product


@pytest.fixture(autouse=True)
def stripe_at_standin(settings, stripe_standin):
    settings.STRIPE_API_BASE = stripe_standin


def place_order_through_checkout(client, product):
    """Buy the product outright on the payment page, as the browser would."""
    from tests.shop.test_checkout_payment import (
        add_to_basket,
        filled_form,
        payment_page,
        save_card,
    )

    add_to_basket(client, product)
    page = payment_page(client)
    return client.post("/shop/checkout/payment-details/", filled_form(page, save_card(client)))


def test_order_is_kept_when_the_confirmation_email_cannot_be_sent(
    client, django_user_model, digital_product, settings, caplog
):
    # A real SMTP client talking to a port where nothing listens: the mail server is down.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 2
    user = django_user_model.objects.create_user("reader", "reader@example.com", "pw-long-123!")
    client.force_login(user)

    with caplog.at_level(logging.ERROR, logger="shop.checkout.mixins"):
        response = place_order_through_checkout(client, digital_product)

    assert response.status_code == 302
    assert response["Location"] == "/shop/checkout/thank-you/"
    order = Order.objects.get()
    assert order.user == user
    assert order.basket.status == Basket.SUBMITTED
    assert "could not be sent" in caplog.text
    assert order.number in caplog.text
    thank_you = client.get("/shop/checkout/thank-you/")
    assert thank_you.status_code == 200
    assert order.number in thank_you.content.decode()
    # Nothing left to buy twice: the customer's open basket is a new, empty one.
    assert not Basket.objects.filter(owner=user, status=Basket.OPEN, lines__isnull=False).exists()


def test_order_confirmation_email_is_sent_when_mail_works(
    client, django_user_model, digital_product, mailoutbox
):
    user = django_user_model.objects.create_user("reader", "reader@example.com", "pw-long-123!")
    client.force_login(user)
    response = place_order_through_checkout(client, digital_product)
    assert response.status_code == 302
    order = Order.objects.get()
    assert [m.to for m in mailoutbox] == [["reader@example.com"]]
    assert order.number in mailoutbox[0].subject + mailoutbox[0].body
