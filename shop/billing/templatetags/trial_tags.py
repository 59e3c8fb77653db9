from django import template

from shop.billing.selectors import (
    BasketNotTrialReady,
    TrialTerms,
    basket_trial_offer,
    trial_terms_for_product,
)

register = template.Library()


@register.simple_tag
def trial_terms_for(product) -> TrialTerms | None:
    """`{% trial_terms_for product as terms %}`: the product's trial terms, or None."""
    if product is None:
        return None
    return trial_terms_for_product(product)


@register.simple_tag
def basket_trial_terms(basket) -> TrialTerms | None:
    """`{% basket_trial_terms basket as terms %}`: the terms of the tryout a basket holds on
    its own, or None (an ordinary basket, or one the checkout will ask to change)."""
    try:
        offer = basket_trial_offer(basket)
    except BasketNotTrialReady:
        return None
    return trial_terms_for_product(offer.product) if offer is not None else None
