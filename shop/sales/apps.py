from django.apps import AppConfig


class SalesConfig(AppConfig):
    """How the program sells: the report and the CMS dashboard's figures (no models)."""

    name = "shop.sales"
    label = "sales"
    verbose_name = "Sales"
