"""The Editor role also keeps the health content: the medical reviewers and the health
content settings (the disclaimer, review and testimonial intervals)."""

from django.db import migrations

ALL = ("add", "change", "delete", "view")

EDITOR_MODEL_PERMISSIONS = [
    *[("home", "medicalreviewer", action) for action in ALL],
    *[("home", "healthcontentsettings", action) for action in ("change", "view")],
]


def permission_get(apps, app_label: str, model_name: str, action: str):
    """The permission on the model, created when Django has not made it yet."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model_name)
    meta = apps.get_model(app_label, model_name)._meta
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename=f"{action}_{model_name}",
        defaults={"name": f"Can {action} {meta.verbose_name_raw}"[:255]},
    )
    return permission


def editor_health_content_grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    editor = Group.objects.filter(name="Editor").first()
    if editor is not None:
        editor.permissions.add(
            *[permission_get(apps, *entry) for entry in EDITOR_MODEL_PERMISSIONS]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0003_disputes"),
        ("home", "0006_health_content"),
    ]

    # Going back leaves the permissions: the group may have been changed since.
    operations = [migrations.RunPython(editor_health_content_grant, migrations.RunPython.noop)]
