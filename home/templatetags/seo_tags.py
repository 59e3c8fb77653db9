"""The <head> tags search engines and link previews read, built in ``home.seo``."""

from django import template
from django.core.cache import cache
from wagtail.models import Page

from home.content_changes import content_version, rendered_content_seconds
from home.seo import page_seo, product_page_seo

register = template.Library()


@register.simple_tag(takes_context=True)
def seo_for_page(context):
    """The page's SEO data, or None on views that are not Wagtail pages.

    Kept in the shared cache until the page is published again or any content changes;
    a preview's is worked out each time.
    """
    page = context.get("page")
    if not isinstance(page, Page):
        return None
    request = context.get("request")
    if request is None or not page.live or getattr(request, "is_preview", False):
        return page_seo(page=page, request=request)
    key = (
        f"home:seo:{page.pk}.{page.live_revision_id}.{content_version(request=request)}."
        f"{request.scheme}.{request.get_host()}{request.path}"
    )
    seo = cache.get(key)
    if seo is None:
        seo = page_seo(page=page, request=request)
        cache.set(key, seo, timeout=rendered_content_seconds())
    return seo


@register.simple_tag(takes_context=True)
def seo_for_product(context, product):
    """The SEO data of a program's page in the shop, or None for other products."""
    return product_page_seo(product=product, request=context.get("request"))
