from django.apps import AppConfig


class EmailsConfig(AppConfig):
    """How the site's emails leave and what becomes of them: the provider the settings name,
    the local outbox, and the provider's delivery events (delivered, bounced, complained)."""

    name = "shop.emails"
    label = "emails"
    verbose_name = "Emails"
