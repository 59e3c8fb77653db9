"""The Shop manager sees disputes and sends their evidence to Stripe."""

from django.db import migrations

SHOP_MANAGER_DISPUTE_PERMISSIONS = [
    ("view_dispute", "Can view dispute"),
    ("submit_dispute_evidence", "Can send dispute evidence to Stripe"),
]


def disputes_given(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    shop_manager = Group.objects.filter(name="Shop manager").first()
    if shop_manager is None:
        return
    # Created when missing: on a new database Django adds permissions after the last migration.
    content_type, _ = ContentType.objects.get_or_create(app_label="billing", model="dispute")
    shop_manager.permissions.add(
        *[
            Permission.objects.get_or_create(
                content_type=content_type, codename=codename, defaults={"name": name}
            )[0]
            for codename, name in SHOP_MANAGER_DISPUTE_PERMISSIONS
        ]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0002_outbox"),
        ("billing", "0012_sent_emails_payment_reminders_disputes"),
    ]

    # Going back leaves the permissions: the group may have been changed since.
    operations = [migrations.RunPython(disputes_given, migrations.RunPython.noop)]
