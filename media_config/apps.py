from django.apps import AppConfig


class MediaConfigConfig(AppConfig):
    name = "media_config"
    verbose_name = "Media storage"
