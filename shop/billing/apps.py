from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "shop.billing"
    label = "billing"
    verbose_name = "Billing: trials and installment plans"
    default_auto_field = "django.db.models.BigAutoField"
