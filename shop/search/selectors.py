"""Reads of the products a visitor can browse, straight from the database.

Haystack's simple backend never matches Oscar's browse filters (public, not a variant), so the
catalogue and category pages list from the database instead; text search stays on haystack."""

from oscar.core.loading import get_model

Product = get_model("catalogue", "Product")


def browsable_products(*, categories=None):
    """Public products that are not variants, by title, with what a product card shows
    (class, options, stock records, images) fetched once for the whole page."""
    products = Product.objects.browsable().base_queryset().order_by("title", "pk")
    if categories is not None:
        products = products.filter(categories__in=categories).distinct()
    return products
