"""What the CMS shows for our own models, and the choosers it offers."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from home.choosers import product_chooser_viewset
from home.medical_reviews import (
    MedicalReviewsDueView,
    can_see_medical_reviews,
    medical_reviews_due_panel,
)
from home.models import GlossaryTerm


@hooks.register("register_admin_viewset")
def register_product_chooser():
    return product_chooser_viewset


# Reports → Medical reviews due, and the CMS home page's note when some pages are due.
class MedicalReviewsDueMenuItem(MenuItem):
    def is_shown(self, request):
        return can_see_medical_reviews(request.user)


@hooks.register("register_admin_urls")
def register_medical_reviews_due_urls():
    return [
        path(
            "reports/medical-reviews-due/",
            MedicalReviewsDueView.as_view(),
            name="medical_reviews_due",
        ),
        path(
            "reports/medical-reviews-due/results/",
            MedicalReviewsDueView.as_view(results_only=True),
            name="medical_reviews_due_results",
        ),
    ]


@hooks.register("register_reports_menu_item")
def register_medical_reviews_due_menu_item():
    return MedicalReviewsDueMenuItem(
        "Medical reviews due",
        reverse("medical_reviews_due"),
        name="medical-reviews-due",
        icon_name="doc-full-inverse",
        order=1050,
    )


@hooks.register("construct_homepage_panels")
def add_medical_reviews_due_panel(request, panels):
    panel = medical_reviews_due_panel(request)
    if panel is not None:
        panels.append(panel)


class GlossaryTermViewSet(SnippetViewSet):
    """The glossary terms in the CMS, listed and searched by term and definition."""

    model = GlossaryTerm
    icon = "help"
    menu_label = "Glossary"
    menu_order = 200
    add_to_admin_menu = True
    list_display = ["term", "slug", "source", "updated_at"]
    # The database search is enough for a few hundred terms, with no index to keep in step.
    search_fields = ["term", "definition", "also_matches"]
    search_backend_name = None


register_snippet(GlossaryTermViewSet)
