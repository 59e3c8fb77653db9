from django.conf import settings
from django.db import models
from django.utils import timezone


class DownloadGrant(models.Model):
    """A customer's right to download a product's files, and until when."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="download_grants"
    )
    product = models.ForeignKey("catalogue.Product", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(
        "order.Order", on_delete=models.PROTECT, related_name="download_grants"
    )
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty while the order entitles the customer for good."
    )
    ended_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["order", "product"], name="one_grant_per_order_product")
        ]

    def __str__(self):
        return f"{self.user} → {self.product} (order {self.order_id})"

    def is_active(self, at=None) -> bool:
        at = at or timezone.now()
        return self.starts_at <= at and (self.ends_at is None or at < self.ends_at)
