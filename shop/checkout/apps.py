import oscar.apps.checkout.apps as apps
from django.urls import path


class CheckoutConfig(apps.CheckoutConfig):
    name = "shop.checkout"

    def get_urls(self):
        from shop.checkout.tryout_start import tryout_start

        # Added after Oscar's sign-in requirement is put on its steps: anyone may start, and
        # a visitor who is not signed in is led to the account step.
        return [
            *super().get_urls(),
            path("start-tryout/", tryout_start, name="start-tryout"),
        ]
