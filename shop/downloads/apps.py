from django.apps import AppConfig


class DownloadsConfig(AppConfig):
    name = "shop.downloads"
    label = "downloads"
    verbose_name = "Downloads"
    default_auto_field = "django.db.models.BigAutoField"
