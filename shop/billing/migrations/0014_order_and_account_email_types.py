"""The order confirmation (the tryout's $0 receipt) and the account-deleted email listed in
the back office's Plan emails too, so the author edits and previews every email customers get.
Their texts stay empty: the site's template files are used until she edits them."""

from django.db import migrations

EMAILS = {
    "ORDER_PLACED": "Program: order confirmation and tryout receipt",
    "ACCOUNT_DELETED": "Account deleted",
}


def register(apps, schema_editor):
    CommunicationEventType = apps.get_model("communication", "CommunicationEventType")
    for code, name in EMAILS.items():
        CommunicationEventType.objects.get_or_create(
            code=code, defaults={"name": name, "category": "Order related"}
        )


def unregister(apps, schema_editor):
    CommunicationEventType = apps.get_model("communication", "CommunicationEventType")
    CommunicationEventType.objects.filter(
        code__in=EMAILS,
        email_subject_template__isnull=True,
        email_body_template__isnull=True,
        email_body_html_template__isnull=True,
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0013_payment_reminder"),
        ("communication", "0004_auto_20200801_0817"),
    ]

    operations = [migrations.RunPython(register, unregister)]
