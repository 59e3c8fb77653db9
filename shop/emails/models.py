from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    """An email as it left the site, kept by the outbox backend (locally and in tests, where
    no provider sends it), so the author reads in the back office what customers get."""

    message_id = models.CharField(max_length=255, db_index=True)
    from_email = models.CharField(max_length=320)
    to = models.CharField(max_length=1000, help_text="The recipients, separated by commas")
    subject = models.CharField(max_length=998)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "outbox email"

    def __str__(self):
        return f"{self.subject} to {self.to}"


class DeliveryEvent(models.Model):
    """What the email provider reported about one message (delivered, bounced, complained,
    ...), received on its signed webhook and stored once: a replay finds it."""

    class Kind(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        DEFERRED = "deferred", "Delayed"
        BOUNCED = "bounced", "Bounced"
        REJECTED = "rejected", "Refused by the provider"
        FAILED = "failed", "Failed"
        COMPLAINED = "complained", "Marked as spam"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        OPENED = "opened", "Opened"
        CLICKED = "clicked", "Link clicked"
        OTHER = "other", "Other"

    event_id = models.CharField(
        max_length=255, unique=True, help_text="The provider's id of the event, or its digest"
    )
    provider = models.CharField(max_length=50)
    kind = models.CharField(max_length=20, choices=Kind)
    message_id = models.CharField(max_length=255, db_index=True)
    recipient = models.CharField(max_length=320, blank=True)
    occurred_at = models.DateTimeField(help_text="When the provider says it happened")
    description = models.CharField(max_length=1000, blank=True)
    mta_response = models.CharField(max_length=1000, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["message_id", "occurred_at"], name="delivery_by_message")]

    def __str__(self):
        return f"{self.kind}: {self.message_id} ({self.recipient})"
