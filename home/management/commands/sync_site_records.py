from django.conf import settings
from django.core.management.base import BaseCommand

from home.site_records import sites_point_at_site_url


class Command(BaseCommand):
    help = "Point Wagtail's default Site and Django's Site at SITE_URL's host and port."

    def handle(self, *args, **options):
        sites_point_at_site_url()
        self.stdout.write(f"Site records now point at {settings.SITE_URL}")
