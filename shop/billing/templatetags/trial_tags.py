from django import template

from shop.billing.selectors import TrialTerms, trial_terms_for_product

register = template.Library()


@register.simple_tag
def trial_terms_for(product) -> TrialTerms | None:
    """`{% trial_terms_for product as terms %}`: the product's trial terms, or None."""
    if product is None:
        return None
    return trial_terms_for_product(product)
