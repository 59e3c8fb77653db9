"""Template tags for the site chrome: navigation, trust badges, footer settings.

Each reads with a fixed number of queries, however many items the author adds."""

from django import template
from django.db.models import Prefetch
from wagtail.images import get_image_model
from wagtail.models import Site

from home.models import NavigationItem, SiteSettings, TrustBadge

register = template.Library()

BADGE_RENDITION = "max-160x80"


def _site(context):
    request = context.get("request")
    site = Site.find_for_request(request) if request else None
    return site or Site.objects.filter(is_default_site=True).first()


@register.simple_tag(takes_context=True)
def navigation_items(context) -> list[dict]:
    request = context.get("request")
    site = _site(context)
    if site is None:
        return []
    items = NavigationItem.objects.filter(settings__site=site).select_related("page")
    current = request.path if request else ""
    entries = []
    for item in items.order_by("sort_order"):
        href = item.href(request)
        is_current = href == current or (href not in ("/", "#") and current.startswith(href))
        entries.append({"label": item.label, "href": href, "current": is_current})
    return entries


@register.simple_tag(takes_context=True)
def trust_badges(context) -> list[TrustBadge]:
    site = _site(context)
    if site is None:
        return []
    images = get_image_model().objects.prefetch_renditions(BADGE_RENDITION)

    return list(
        TrustBadge.objects.filter(settings__site=site)
        .order_by("sort_order")
        .prefetch_related(Prefetch("image", queryset=images))
    )


@register.simple_tag(takes_context=True)
def site_settings(context) -> SiteSettings | None:
    request = context.get("request")
    cached = getattr(request, "_site_settings", None)
    if cached is not None:
        return cached
    site = _site(context)
    if site is None:
        return None
    found = SiteSettings.for_site(site)
    if request is not None:
        request._site_settings = found  # one read per request, however often it is used
    return found
