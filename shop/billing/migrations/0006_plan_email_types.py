"""The plan's emails listed in the dashboard (Communications) so the author can edit them.

Their texts stay empty here: empty means the site's template files are used, and the
dashboard form starts from those files' text."""

from django.db import migrations

EMAILS = {
    "TRIAL_REMINDER": "Program: the free tryout ends soon",
    "TRIAL_QUIT": "Program: tryout quit",
    "INSTALLMENT_PAID": "Program: payment receipt",
    "PAID_IN_FULL": "Program: paid in full",
    "PAYMENT_FAILED": "Program: payment failed",
    "PAYMENT_CONFIRMATION_NEEDED": "Program: please confirm your payment",
    "PAYMENT_CONFIRMATION_REMINDER": "Program: please confirm your payment (reminder)",
    "PLAN_SUSPENDED": "Program: plan suspended",
    "PAYMENTS_CANCELLED": "Program: remaining payments cancelled",
    "REFUND_ISSUED": "Program: refund issued",
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
        ("billing", "0005_payment_confirmation"),
        ("communication", "0004_auto_20200801_0817"),
    ]

    operations = [migrations.RunPython(register, unregister)]
