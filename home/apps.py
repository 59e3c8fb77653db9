from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "home"
    verbose_name = "Site content"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from home.content_changes import connect_content_signals
        from web.page_cache_purges import purges_connect

        # Any change to what pages show renders their kept parts again (home.content_changes),
        # retires the cached pages and purges the CDN's copies (web.page_cache_purges).
        connect_content_signals()
        purges_connect()
