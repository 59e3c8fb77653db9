from django.conf import settings
from django.db import models


class CheckoutPayment(models.Model):
    """The one payment a basket's checkout takes: the program's first installment when it
    is bought without the tryout, or the price of products sold outright.

    Created under the basket's lock before anything is charged, one per basket, so every
    submission of that basket finds it and its PaymentIntent instead of charging again. It
    keeps the terms the customer signed and the consent they read until the order is
    written from them."""

    class Kind(models.TextChoices):
        PROGRAM = "program", "Program without the tryout"
        PURCHASE = "purchase", "Bought outright"

    basket = models.OneToOneField(
        "basket.Basket", on_delete=models.PROTECT, related_name="checkout_payment"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="checkout_payments"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    customer_id = models.CharField(max_length=255)
    # The PaymentIntent of the latest attempt; a new one only once this one has failed.
    payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    terms = models.JSONField(default=dict, help_text="The terms as shown and signed.")
    consent = models.JSONField(default=dict, help_text="The consent as given, with its text.")
    card = models.JSONField(default=dict, help_text="The saved card the payment is taken from.")
    order = models.OneToOneField(
        "order.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="checkout_payment",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Checkout payment of basket {self.basket_id} ({self.payment_intent_id or 'none'})"
