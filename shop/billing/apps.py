from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "shop.billing"
    label = "billing"
    verbose_name = "Billing: trials and installment plans"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from shop.billing import confirmation, refunds, transitions

        transitions.refunds_owed.connect(
            refunds.refunds_owed_issue, dispatch_uid="billing_refunds_owed_issue"
        )
        transitions.waiting_intents_owed.connect(
            confirmation.waiting_intents_owed_cancel,
            dispatch_uid="billing_waiting_intents_owed_cancel",
        )
