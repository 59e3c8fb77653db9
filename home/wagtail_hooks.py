"""What the CMS shows for our own models, and the choosers it offers."""

import django_filters
from django import forms
from django.db.models import Value
from django.urls import path, reverse
from django.utils.formats import date_format
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from home.choosers import product_chooser_viewset
from home.medical_reviews import (
    MedicalReviewsDueView,
    can_see_medical_reviews,
    medical_reviews_due_panel,
)
from home.models import GlossaryTerm, HealthContentSettings, Testimonial
from home.models.medical_review import months_before


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


# Testimonials: consent, what readers are told, and when each was last checked.

TESTIMONIAL_RESULTS_SHORT = {
    Testimonial.TYPICAL: "Typical",
    Testimonial.NOT_TYPICAL: "Not typical",
    Testimonial.NO_RESULT: "No result",
}
TESTIMONIAL_CONNECTIONS_SHORT = {
    Testimonial.NO_CONNECTION: "None",
    "free_program": "Free program",
    "paid": "Paid",
    "discount": "Discount or reward",
    "family_or_friend": "Relative or friend",
    "business": "Business tie",
}


def testimonial_check_every_months() -> int:
    """How often testimonials are checked, as set for the default site."""
    return HealthContentSettings.for_default_site().check_testimonials_every_months


def testimonial_check_due_label(testimonial: Testimonial) -> str:
    """'Check due since March 2026' for a testimonial due for a check, else a dash; reads
    what the listing's queryset worked out (``check_due``, ``checked_from``)."""
    if not testimonial.check_due:
        return "—"
    if testimonial.checked_from is None:
        return "Check due (no date recorded)"
    due_since = months_before(testimonial.checked_from, -testimonial.check_every_months)
    return f"Check due since {date_format(due_since, 'F Y')}"


class TestimonialFilterSet(WagtailFilterSet):
    consent = django_filters.ChoiceFilter(
        label="Consent",
        choices=[("recorded", "Recorded"), ("not_recorded", "Not recorded")],
        method="filter_consent",
        empty_label="All",
        widget=forms.RadioSelect,
    )
    check = django_filters.ChoiceFilter(
        label="Check",
        choices=[("due", "Check due"), ("not_due", "Not due")],
        method="filter_check",
        empty_label="All",
        widget=forms.RadioSelect,
    )
    result = django_filters.ChoiceFilter(
        label="Result",
        choices=list(TESTIMONIAL_RESULTS_SHORT.items()),
        empty_label="All",
        widget=forms.RadioSelect,
    )
    connection = django_filters.ChoiceFilter(
        label="Connection",
        choices=list(TESTIMONIAL_CONNECTIONS_SHORT.items()),
        empty_label="All",
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Testimonial
        fields = ["consent", "check", "result", "connection"]

    def filter_consent(self, queryset, name, value):
        recorded = Testimonial.objects.publishable().values("pk")
        if value == "recorded":
            return queryset.filter(pk__in=recorded)
        return queryset.exclude(pk__in=recorded)

    def filter_check(self, queryset, name, value):
        # The listing's queryset says which are due (TestimonialViewSet.get_queryset).
        return queryset.filter(check_due=value == "due")


class TestimonialViewSet(SnippetViewSet):
    """Testimonials in the CMS: whether consent is recorded, what readers are told with each,
    and which are due for a check with the person."""

    model = Testimonial
    icon = "openquote"
    filterset_class = TestimonialFilterSet
    list_display = [
        "person",
        "kind",
        "date",
        Column(
            "consent",
            label="Consent",
            accessor=lambda t: "Recorded" if t.consent_recorded else "Not recorded",
        ),
        Column(
            "result",
            label="Result",
            accessor=lambda t: TESTIMONIAL_RESULTS_SHORT.get(t.result, t.get_result_display()),
        ),
        Column(
            "connection",
            label="Connection",
            accessor=lambda t: TESTIMONIAL_CONNECTIONS_SHORT.get(
                t.connection, t.get_connection_display()
            ),
        ),
        Column(
            "check_due",
            label="Check due",
            accessor=testimonial_check_due_label,
            sort_key="checked_from",
        ),
    ]
    # The database search is enough for the few hundred testimonials an author keeps.
    search_fields = ["person", "quote"]
    search_backend_name = None

    def get_queryset(self, request):
        # Whether each is due for a check, worked out in the listing's one query.
        months = testimonial_check_every_months()
        return Testimonial.objects.with_check_due(months=months).annotate(
            check_every_months=Value(months)
        )


register_snippet(TestimonialViewSet)
