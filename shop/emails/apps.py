from django.apps import AppConfig


class EmailsConfig(AppConfig):
    """How the site's emails leave and what becomes of them: the provider the settings name,
    the local outbox, and the provider's delivery events (delivered, bounced, complained)."""

    name = "shop.emails"
    label = "emails"
    verbose_name = "Emails"

    def ready(self):
        from anymail.signals import tracking

        from shop.emails.webhooks import delivery_event_received

        tracking.connect(delivery_event_received, dispatch_uid="shop.emails.delivery_events")
