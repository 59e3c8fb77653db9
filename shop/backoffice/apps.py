from django.apps import AppConfig


class BackOfficeConfig(AppConfig):
    """The author's one back office in the CMS: who may see what (the Editor and Shop
    manager groups) and the menu that gathers the shop's screens."""

    name = "shop.backoffice"
    label = "backoffice"
    verbose_name = "Back office"
