from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "home"
    verbose_name = "Site content"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from config.page_cache_purges import purges_connect
        from home.content_changes import connect_content_signals

        # Any change to what pages show renders their kept parts again (home.content_changes),
        # retires the cached pages and purges the CDN's copies (config.page_cache_purges).
        connect_content_signals()
        purges_connect()
