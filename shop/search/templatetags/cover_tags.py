from django import template

from shop.search.selectors import CoverPicture, product_cover

register = template.Library()


@register.simple_tag
def cover_for(product) -> CoverPicture | None:
    """`{% cover_for product as cover %}`: the product's cover in the sizes the page offers
    (the same picture its sharing tags name), or None when it has none."""
    return product_cover(product)
