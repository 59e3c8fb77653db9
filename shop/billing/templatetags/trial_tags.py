from django import template

from shop.billing import selectors
from shop.billing.selectors import BasketDue, TrialTerms, trial_terms_for_product

register = template.Library()


@register.simple_tag
def trial_terms_for(product) -> TrialTerms | None:
    """`{% trial_terms_for product as terms %}`: the product's trial terms, or None."""
    if product is None:
        return None
    return trial_terms_for_product(product)


@register.simple_tag
def basket_due(basket) -> BasketDue | None:
    """`{% basket_due basket as due %}`: what a basket holding the program costs today and
    what follows, or None for any other basket."""
    return selectors.basket_due(basket)
