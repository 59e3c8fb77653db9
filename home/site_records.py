"""Django's and Wagtail's Site rows carry the address the site is served on (SITE_URL), so
links built outside a request (emails, sitemaps, the API) point at the right host."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sites.models import Site as DjangoSite
from wagtail.models import Site


def sites_point_at_site_url() -> None:
    """Make Wagtail's default Site and Django's Site carry the host the site is served on."""
    parts = urlsplit(settings.SITE_URL)
    hostname = parts.hostname or "localhost"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    site = Site.objects.filter(is_default_site=True).first()
    if site and (site.hostname, site.port) != (hostname, port):
        site.hostname, site.port = hostname, port
        site.save(update_fields=["hostname", "port"])
    domain = parts.netloc or hostname
    DjangoSite.objects.update_or_create(
        pk=settings.SITE_ID, defaults={"domain": domain, "name": settings.WAGTAIL_SITE_NAME}
    )
