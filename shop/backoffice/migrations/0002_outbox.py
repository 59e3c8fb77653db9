"""The Shop manager reads the outbox (Shop → Outbox): the emails the site kept locally."""

from importlib import import_module

from django.db import migrations

# The first migration's way to find (or create) a permission, shared rather than copied.
roles = import_module("shop.backoffice.migrations.0001_editor_and_shop_manager")

OUTBOX_PERMISSION = ("emails", "outboxmessage", "view")


def outbox_permission_give(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    shop_manager, _ = Group.objects.get_or_create(name="Shop manager")
    shop_manager.permissions.add(roles.permission_get(apps, *OUTBOX_PERMISSION))


def outbox_permission_take(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    shop_manager = Group.objects.filter(name="Shop manager").first()
    if shop_manager is not None:
        shop_manager.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="emails", codename="view_outboxmessage"
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0001_editor_and_shop_manager"),
        ("emails", "0001_initial"),
    ]

    operations = [migrations.RunPython(outbox_permission_give, outbox_permission_take)]
