"""Admin choosers for things that live outside Wagtail, such as the shop's products."""

from oscar.core.loading import get_model
from wagtail.admin.views.generic.chooser import ChooseResultsView, ChooseView
from wagtail.admin.viewsets.chooser import ChooserViewSet


class BuyableProductsMixin:
    def get_object_list(self):
        # Only products a visitor can buy: public, and not a variant of another product.
        Product = get_model("catalogue", "Product")
        return Product.objects.filter(is_public=True).exclude(structure=Product.CHILD)


class ProductChooseView(BuyableProductsMixin, ChooseView):
    pass


class ProductChooseResultsView(BuyableProductsMixin, ChooseResultsView):
    pass


class ProductChooserViewSet(ChooserViewSet):
    model = "catalogue.Product"
    icon = "tag"
    choose_one_text = "Choose a product"
    choose_another_text = "Choose another product"
    edit_item_text = "Edit product"
    choose_view_class = ProductChooseView
    choose_results_view_class = ProductChooseResultsView


product_chooser_viewset = ProductChooserViewSet("product_chooser")
