"""Demo content for local runs: written for this site, loaded only where nothing exists yet."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sites.models import Site as DjangoSite
from django.db import transaction
from wagtail.models import Site

from home.glossary_demo import glossary_demo_create
from home.models import HomePage

HOME_LEAD = "Exercises you do yourself, at home, that teach tight back muscles to let go."
HOME_BODY = (
    "<p>Most lower back pain comes from muscles that have learned to stay tight. "
    "This site explains why, and offers a program of short, gentle movement lessons "
    "you can try free for two weeks.</p>"
)


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


@transaction.atomic
def demo_content_load() -> list[str]:
    """Fill pages that were never edited; return what was written. Safe to run again."""
    written = []
    sites_point_at_site_url()
    home = HomePage.objects.order_by("path").first()
    if home is not None and home.latest_revision_id is None:
        home.title = "Get Lower Back Pain Relief"
        home.draft_title = home.title
        home.lead = HOME_LEAD
        home.body = HOME_BODY
        home.save_revision().publish()
        written.append(f"home page '{home.title}'")
    if home is not None:
        written.extend(glossary_demo_create(home=home))
    return written
