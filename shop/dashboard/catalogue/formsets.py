from django.forms.models import inlineformset_factory
from oscar.core.loading import get_model

from shop.billing.models import TrialOffer
from shop.dashboard.catalogue.forms import TrialOfferForm

Product = get_model("catalogue", "Product")

BaseTrialOfferFormSet = inlineformset_factory(
    Product, TrialOffer, form=TrialOfferForm, extra=1, max_num=1, can_delete=True
)


class TrialOfferFormSet(BaseTrialOfferFormSet):
    """At most one set of trial terms per product; deleting it stops selling on a trial."""

    def __init__(self, product_class, user, *args, **kwargs):
        self.product_class = product_class
        self.user = user
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        kwargs.update(product_class=self.product_class, user=self.user)
        return kwargs
