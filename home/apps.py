from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "home"
    verbose_name = "Site content"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from config.page_cache_purges import purges_connect

        # Any change to what pages show retires the cached pages (and the CDN's copies).
        purges_connect()
