from django.core.management.base import BaseCommand

from demo.loader import demo_content_load


class Command(BaseCommand):
    help = "Load demo content into pages that were never edited. Never overwrites edits."

    def handle(self, *args, **options):
        written = demo_content_load()
        if written:
            self.stdout.write("Demo content: added " + ", ".join(written))
        else:
            self.stdout.write("Demo content: already present, nothing changed")
