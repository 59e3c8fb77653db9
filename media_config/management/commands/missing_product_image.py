from django.core.management.base import BaseCommand

from media_config.missing_product_image import missing_product_image_upload


class Command(BaseCommand):
    help = (
        "Put Oscar's 'no picture' placeholder into media storage (S3 included), so products "
        "without pictures get a thumbnail. Does nothing when it is there already."
    )

    def handle(self, *args, **options):
        copied = missing_product_image_upload()
        self.stdout.write("Placeholder picture uploaded." if copied else "Placeholder present.")
