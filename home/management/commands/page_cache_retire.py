from django.core.management.base import BaseCommand

from home.content_changes import content_changed
from web.page_cache_purges import cdn_purge_site


class Command(BaseCommand):
    help = (
        "Retire every page in the shared page cache and ask the CDN (if configured) to drop "
        "every page: after changes no signal reports, such as queryset.update(), bulk_create() "
        "or SQL run by hand."
    )

    def handle(self, *args, **options):
        # New content versions: kept parts of pages, the glossary matcher and whole pages.
        content_changed(glossary=True)
        cdn_purge_site()
        self.stdout.write("Cached pages retired.")
