from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_save


class ShopConfig(AppConfig):
    name = "shop"
    verbose_name = "Shop"

    def ready(self):
        from web.lockout import lockout_end_on_new_password

        post_save.connect(
            lockout_end_on_new_password,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="lockout_end_on_new_password",
        )
