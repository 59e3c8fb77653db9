"""Reads of the products a visitor can browse, straight from the database.

Haystack's simple backend never matches Oscar's browse filters (public, not a variant), so the
catalogue and category pages list from the database instead; text search stays on haystack."""

from dataclasses import dataclass

from oscar.core.loading import get_model
from oscar.core.thumbnails import get_thumbnailer

Product = get_model("catalogue", "Product")


def browsable_products(*, categories=None):
    """Public products that are not variants, by title, with what a product card shows
    (class, options, stock records, images, a program's tryout) fetched once for the whole
    page."""
    products = (
        Product.objects.browsable()
        .base_queryset()
        .select_related("trial_offer")
        .order_by("title", "pk")
    )
    if categories is not None:
        products = products.filter(categories__in=categories).distinct()
    return products


def only_browsable_product():
    """The one product a visitor can buy when the shop has exactly one, else None."""
    first_two = list(Product.objects.browsable().order_by("pk")[:2])
    return first_two[0] if len(first_two) == 1 else None


# The widths the product page offers the browser for the cover (never wider than the picture).
COVER_WIDTHS = (240, 360, 480, 720)


@dataclass(frozen=True)
class CoverPicture:
    """A product's cover as the product page shows it, and as its sharing picture."""

    url: str
    width: int
    height: int
    alt: str
    srcset: str


def product_cover(product) -> CoverPicture | None:
    """The product's first picture in the sizes the page offers, or None when it has no
    picture of its own (Oscar's "Image not available" placeholder is never shown)."""
    image = next(iter(product.get_all_images()), None)
    if image is None:
        return None
    thumbnailer = get_thumbnailer()
    sizes = []
    for width in COVER_WIDTHS:
        thumb = thumbnailer.generate_thumbnail(image.original, size=f"{width}x", upscale=False)
        if sizes and thumb.width <= sizes[-1].width:
            break  # the picture is no wider than that: the last size is the whole of it
        sizes.append(thumb)
    largest = sizes[-1]
    title = product.get_title()
    return CoverPicture(
        url=largest.url,
        width=largest.width,
        height=largest.height,
        alt=image.caption if image.caption and image.caption != title else f"Cover of {title}",
        srcset=", ".join(f"{thumb.url} {thumb.width}w" for thumb in sizes),
    )
