from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "home"
    verbose_name = "Site content"
    default_auto_field = "django.db.models.BigAutoField"
