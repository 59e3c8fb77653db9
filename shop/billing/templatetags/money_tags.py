from decimal import Decimal

from django import template
from oscar.templatetags.currency_filters import currency

register = template.Library()


@register.filter
def cents_as_money(amount_cents: int, currency_code: str = "USD") -> str:
    """1234 → "$12.34" in the shop's currency format."""
    return currency(Decimal(amount_cents) / 100, currency_code)


@register.filter
def absolute(path: str) -> str:
    """A site path as a full address for emails: "/shop/" → "https://example.com/shop/"."""
    from django.conf import settings

    return f"{settings.SITE_URL}{path}"
