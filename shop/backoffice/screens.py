"""What the shop's CMS screens share: a Wagtail viewset without some of its views, and pages
that call their listing as the menu does."""

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse


class LeavesOutViews:
    """A ModelViewSet without some of its views (``views_left_out``: "add", "copy",
    "delete"...): neither their URLs nor their buttons."""

    views_left_out: frozenset[str] = frozenset()

    def get_urlpatterns(self):
        return [url for url in super().get_urlpatterns() if url.name not in self.views_left_out]

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        for name in self.views_left_out:
            view_kwargs[f"{name}_url_name"] = None
        return view_kwargs

    def get_permissions_to_register(self):
        # Groups are offered only the permissions that open a view here: never those of the
        # views left out, and always "view", which opens the listing even without an
        # inspect page (Wagtail offers it only with one), and the model's own permissions.
        actions = {"add": "add", "edit": "change", "delete": "delete"}
        left_out = [
            f"{actions[view]}_{self.model_name}" for view in self.views_left_out if view in actions
        ]
        content_type = ContentType.objects.get_for_model(self.model)
        return Permission.objects.filter(content_type=content_type).exclude(codename__in=left_out)


class ListingNamed:
    """Pages that name their listing as the menu does ("Customers' programs"), not by the
    model's name ("Installment plans"), in the title and the breadcrumbs."""

    listing_name = ""

    def get_breadcrumbs_items(self):
        index = reverse(self.index_url_name) if self.index_url_name else None
        return [
            {**item, "label": self.listing_name} if index and item.get("url") == index else item
            for item in super().get_breadcrumbs_items()
        ]
