from django import template
from django.conf import settings
from oscar.templatetags.currency_filters import currency

from shop.billing.money import from_minor_units
from shop.billing.selectors import OrderMoney, order_money

register = template.Library()


@register.filter
def cents_as_money(amount_cents: int, currency_code: str = "USD") -> str:
    """1234 → "$12.34", 1234 JPY → "¥1,234", in the shop's currency format."""
    return currency(from_minor_units(amount_cents, currency_code), currency_code)


@register.filter
def absolute(path: str) -> str:
    """A site path as a full address for emails: "/shop/" → "https://example.com/shop/"."""
    return f"{settings.SITE_URL}{path}"


@register.filter
def paid_and_due(order) -> OrderMoney:
    """`{% with money=order|paid_and_due %}`: paid so far and due later, for order history."""
    return order_money(order)
