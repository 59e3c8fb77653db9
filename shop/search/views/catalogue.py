from urllib.parse import unquote

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponsePermanentRedirect, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import generic
from oscar.core.loading import get_model

from shop.search.selectors import browsable_products, only_browsable_product

Category = get_model("catalogue", "Category")


def store_front(request):
    """The shop's address: a shop of one product opens its page, any other lists them.

    Temporary (302), so the store link follows when a second product goes on sale."""
    only = only_browsable_product()
    return HttpResponseRedirect(only.get_absolute_url() if only else reverse("catalogue:index"))


class CatalogueView(generic.ListView):
    """All products a visitor can buy, from the database; a shop of one product sends the
    visitor straight to its page."""

    context_object_name = "products"
    template_name = "oscar/catalogue/browse.html"
    paginate_by = settings.OSCAR_PRODUCTS_PER_PAGE
    single_product_opens_its_page = True

    def get(self, request, *args, **kwargs):
        if self.single_product_opens_its_page:
            only = only_browsable_product()
            if only is not None:
                return HttpResponseRedirect(only.get_absolute_url())
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            messages.error(request, "The given page number was invalid.")
            return redirect(self.first_page_url())

    def first_page_url(self):
        return reverse("catalogue:index")

    def get_queryset(self):
        return browsable_products()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["summary"] = "All products"
        # Oscar's templates know the page as both names.
        context["page"] = context["page_obj"]
        return context


class ProductCategoryView(CatalogueView):
    """The products of a category and of its subcategories."""

    template_name = "oscar/catalogue/category.html"
    # A category page is asked for by name: it lists even a single product.
    single_product_opens_its_page = False

    def get(self, request, *args, **kwargs):
        self.category = get_object_or_404(Category, pk=self.kwargs["pk"])
        # Staff may look at a hidden category to check its layout.
        if not (self.category.is_public or request.user.is_staff):
            raise Http404
        # Categories are found by primary key, so an old slug redirects to the current one.
        expected_path = self.category.get_absolute_url()
        if unquote(expected_path) != unquote(request.path):
            return HttpResponsePermanentRedirect(expected_path)
        return super().get(request, *args, **kwargs)

    def first_page_url(self):
        return self.category.get_absolute_url()

    def get_queryset(self):
        return browsable_products(categories=self.category.get_descendants_and_self())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["category"] = self.category
        return context
