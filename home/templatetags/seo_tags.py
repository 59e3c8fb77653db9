"""The <head> tags search engines and link previews read, built in ``home.seo``."""

from django import template
from wagtail.models import Page

from home.seo import page_seo

register = template.Library()


@register.simple_tag(takes_context=True)
def seo_for_page(context):
    """The page's SEO data, or None on views that are not Wagtail pages."""
    page = context.get("page")
    if not isinstance(page, Page):
        return None
    return page_seo(page=page, request=context.get("request"))
