"""Template tags for the site chrome: navigation, trust badges, footer settings.

Each reads with a fixed number of queries, however many items the author adds; the
navigation and the settings are read once per process and site until the content changes."""

from django import template
from django.db.models import Prefetch
from django.urls import reverse
from wagtail.images import get_image_model
from wagtail.models import Site

from home.content_changes import content_memo, content_version, rendered_content_seconds
from home.models import NavigationItem, SiteSettings, TrustBadge

register = template.Library()

# Every rendition the badge's <picture> asks for (home/includes/trust_badges.html). Wagtail
# takes any rendition missing from a prefetch for one never made, and draws it again on every
# render: prefetching only some would cost each uncached page half a second of image work.
BADGE_RENDITIONS = [
    f"format-{kind}|max-{size}"
    for kind in ("avif", "webp", "png")
    for size in ("160x80", "320x160")
]


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
    memo = content_memo(request=request)
    key = ("navigation", site.pk, request.get_host() if request else None)
    if key not in memo:
        items = NavigationItem.objects.filter(settings__site=site).select_related("page")
        memo[key] = [(item.label, item.href(request)) for item in items.order_by("sort_order")]
    current = request.path if request else ""
    return [
        {
            "label": label,
            "href": href,
            "current": href == current or (href not in ("/", "#") and current.startswith(href)),
        }
        for label, href in memo[key]
    ]


@register.simple_tag(takes_context=True)
def account_links(context) -> list[dict]:
    """The header's account links, the same on articles, shop and account pages: a customer
    reaches their program and signs out from anywhere; a visitor finds where to sign in.
    An anonymous reader's page is shared by the page cache, so it names no one."""
    request = context.get("request")
    user = context.get("user") or getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        links = [
            ("My program", reverse("billing:program")),
            ("Sign out", reverse("customer:logout")),
        ]
    else:
        links = [("Sign in", reverse("customer:login"))]
    current = request.path if request else ""
    return [{"label": label, "href": href, "current": href == current} for label, href in links]


@register.simple_tag(takes_context=True)
def trust_badges(context) -> list[TrustBadge]:
    site = _site(context)
    if site is None:
        return []
    images = get_image_model().objects.prefetch_renditions(*BADGE_RENDITIONS)

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
    memo = content_memo(request=request)
    # Shared by the requests of this process: templates only read it.
    found = memo.get(("settings", site.pk))
    if found is None:
        found = memo[("settings", site.pk)] = SiteSettings.for_site(site)
    if request is not None:
        request._site_settings = found  # one read per request, however often it is used
    return found


@register.simple_tag
def kept_seconds() -> int:
    """How long a rendered part of a page is kept in the shared cache at most."""
    return rendered_content_seconds()


@register.simple_tag(takes_context=True)
def chrome_cache_key(context) -> str:
    """The key the footer is kept under: the content's version, the site's address."""
    request = context.get("request")
    if request is None or getattr(request, "is_preview", False):
        return ""
    return f"{content_version(request=request)}.{request.scheme}.{request.get_host()}"
