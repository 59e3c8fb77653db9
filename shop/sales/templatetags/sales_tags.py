from django import template
from oscar.apps.dashboard.orders.views import queryset_orders_for_user
from oscar.templatetags.currency_filters import currency

from shop.billing.money import from_minor_units
from shop.sales.figures import collected_from_orders, shop_currency

register = template.Library()


@register.simple_tag(takes_context=True)
def orders_collected(context) -> str:
    """Money collected from the orders of the shop dashboard's order statistics (the form's
    filters, the orders the user may see): the "Total revenue" Oscar would count from the
    orders' totals, a tryout's full price included."""
    orders = queryset_orders_for_user(context["request"].user).filter(**context.get("filters", {}))
    code = shop_currency()
    return currency(from_minor_units(collected_from_orders(orders), code), code)
