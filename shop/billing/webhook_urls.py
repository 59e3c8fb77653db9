"""Stripe's webhook endpoint, included at /shop/stripe/webhook/ before Oscar's URLs."""

from django.urls import path

from shop.billing.views import stripe_webhook

urlpatterns = [path("", stripe_webhook, name="stripe-webhook")]
