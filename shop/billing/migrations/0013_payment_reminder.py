"""The reminder before each payment: its email listed in the dashboard (Communications) so
the author can edit it, and the end-of-tryout reminders already sent written on their
payment, so none is sent again."""

from django.db import migrations
from django.db.models import OuterRef, Subquery

EMAILS = {"PAYMENT_REMINDER": "Program: payment coming up"}


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


def first_reminder_copy(apps, schema_editor):
    """The plan's end-of-tryout reminder was the reminder before its first payment."""
    InstallmentPlan = apps.get_model("billing", "InstallmentPlan")
    ScheduledCharge = apps.get_model("billing", "ScheduledCharge")
    ScheduledCharge.objects.filter(
        sequence=1, reminder_sent_at__isnull=True, plan__reminder_sent_at__isnull=False
    ).update(
        reminder_sent_at=Subquery(
            InstallmentPlan.objects.filter(pk=OuterRef("plan_id")).values("reminder_sent_at")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0012_sent_emails_payment_reminders_disputes"),
        ("communication", "0004_auto_20200801_0817"),
    ]

    operations = [
        migrations.RunPython(register, unregister),
        migrations.RunPython(first_reminder_copy, migrations.RunPython.noop),
    ]
