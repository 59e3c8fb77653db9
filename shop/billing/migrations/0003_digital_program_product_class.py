"""The product class every downloadable program belongs to: nothing to ship, no stock to count."""

from django.db import migrations


def create_digital_program_class(apps, schema_editor):
    ProductClass = apps.get_model("catalogue", "ProductClass")
    ProductClass.objects.get_or_create(
        slug="digital-program",
        defaults={
            "name": "Digital program",
            "requires_shipping": False,
            "track_stock": False,
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0002_installment_plans"),
        ("catalogue", "0032_category_exclude_from_menu_category_long_description"),
    ]

    operations = [
        # Reversing leaves the class in place: products may already belong to it.
        migrations.RunPython(create_digital_program_class, migrations.RunPython.noop),
    ]
