"""Reports → Medical reviews due: the health pages whose medical review is missing or older
than a chosen number of months, oldest first, so the author knows what to send for review.

The report reads each page's own row: what readers see on a live page, the latest draft of a
page that is not live. The CMS home page says how many pages are due, when any are."""

import datetime

import django_filters
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.views.defaults import permission_denied
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.reports import ReportView
from wagtail.models import Page, get_page_models
from wagtail.permissions import page_permission_policy

from home.models import HealthContent, HealthContentSettings, months_before

__all__ = [
    "MedicalReviewsDuePanel",
    "MedicalReviewsDueView",
    "can_see_medical_reviews",
    "default_review_months",
    "health_page_models",
    "months_since",
    "pages_due_for_review",
]

# The months the author can choose in the report's filter; the setting's own value is added.
MONTH_CHOICES = (3, 6, 12, 18, 24)
# Who may open the report: anyone who may add, edit or publish pages.
PAGE_PERMISSIONS = ["add", "change", "publish"]
NEVER = "Never"


def health_page_models() -> list[type[Page]]:
    """The page types that carry a medical review (the home page, articles, the Q&A)."""
    return [model for model in get_page_models() if issubclass(model, HealthContent)]


def default_review_months() -> int:
    """How many months a review holds, as set for the default site (Settings → Health
    content)."""
    return HealthContentSettings.for_default_site().review_every_months


def months_since(day: datetime.date | None, today: datetime.date) -> int | None:
    """Whole calendar months from ``day`` to ``today``; None when there is no day."""
    if day is None:
        return None
    months = (today.year - day.year) * 12 + today.month - day.month
    return months - 1 if today.day < day.day else months


def _first_of(models: list[type[Page]], field: str):
    # Each page has one row in its own type's table: the value is in whichever joined row exists.
    values = [F(f"{model._meta.model_name}__{field}") for model in models]
    return Coalesce(*values) if len(values) > 1 else values[0]


def pages_due_for_review(
    *, months: int, today: datetime.date | None = None, pages: QuerySet | None = None
) -> QuerySet:
    """Health pages never reviewed, or last reviewed more than ``months`` ago: never reviewed
    first, then the oldest review first. Each page carries ``last_reviewed_on``,
    ``last_updated_on``, ``reviewer_name`` and ``reviewer_post_nominals``, read in the same
    query whatever the number of pages."""
    cutoff = months_before(today or timezone.localdate(), months)
    models = health_page_models()
    pages = Page.objects.all() if pages is None else pages
    return (
        pages.type(*models)
        .annotate(
            last_reviewed_on=_first_of(models, "last_reviewed_on"),
            last_updated_on=_first_of(models, "last_updated_on"),
            reviewer_name=_first_of(models, "reviewed_by__name"),
            reviewer_post_nominals=_first_of(models, "reviewed_by__post_nominals"),
        )
        .filter(Q(last_reviewed_on__isnull=True) | Q(last_reviewed_on__lt=cutoff))
        .select_related("content_type")
        .annotate_approved_schedule()
        .order_by(F("last_reviewed_on").asc(nulls_first=True), "draft_title", "pk")
    )


def can_see_medical_reviews(user) -> bool:
    """Whether the user may open the report: they may add, edit or publish pages."""
    return page_permission_policy.user_has_any_permission(user, PAGE_PERMISSIONS)


def _pages_the_user_edits(user) -> QuerySet:
    return page_permission_policy.instances_user_has_permission_for(user, "change")


def _reviewer(page) -> str:
    if not page.reviewer_name:
        return ""
    if page.reviewer_post_nominals:
        return f"{page.reviewer_name}, {page.reviewer_post_nominals}"
    return page.reviewer_name


def _page_type(page) -> str:
    return str(page.content_type.model_class()._meta.verbose_name).capitalize()


def _shown_date(day: datetime.date | None, empty: str = "") -> str:
    return date_format(day, "DATE_FORMAT") if day else empty


def _months_shown(day: datetime.date | None, today: datetime.date) -> int | str:
    months = months_since(day, today)
    return "" if months is None else months


class MonthsFilter(django_filters.ChoiceFilter):
    """Only pages reviewed longer ago than the chosen number of months."""

    def filter(self, qs, value):
        # The view lists the due pages itself, with the months this filter holds.
        return qs


class MedicalReviewsDueFilterSet(WagtailFilterSet):
    months = MonthsFilter(label="Last reviewed longer ago than", empty_label=None)

    class Meta:
        model = Page
        fields = []

    def __init__(self, *args, default_months: int, **kwargs):
        super().__init__(*args, **kwargs)
        months = sorted({*MONTH_CHOICES, default_months})
        field = self.filters["months"]
        field.extra["choices"] = [(str(n), f"{n} months") for n in months]
        field.extra["initial"] = str(default_months)


class MedicalReviewsDueView(ReportView):
    """The health pages due for a medical review, with their reviewer and dates."""

    page_title = "Medical reviews due"
    header_icon = "doc-full-inverse"
    model = Page
    filterset_class = MedicalReviewsDueFilterSet
    index_url_name = "medical_reviews_due"
    index_results_url_name = "medical_reviews_due_results"
    export_filename = "medical-reviews-due"
    no_results_message = "Every health page has a medical review within the chosen months."
    list_export = [
        "title",
        "type",
        "status",
        "reviewer",
        "last_reviewed_on",
        "last_updated_on",
        "months_since_review",
    ]
    export_headings = {
        "title": "Page",
        "type": "Type",
        "status": "Status",
        "reviewer": "Reviewer",
        "last_reviewed_on": "Last reviewed",
        "last_updated_on": "Last updated",
        "months_since_review": "Months since review",
    }

    def dispatch(self, request, *args, **kwargs):
        if not can_see_medical_reviews(request.user):
            # A plain 403, as the sales report gives, rather than Wagtail's redirect to the
            # dashboard: the export links are fetched by spreadsheets, which need the status.
            return permission_denied(request, PermissionDenied())
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def today(self) -> datetime.date:
        return timezone.localdate()

    @cached_property
    def default_months(self) -> int:
        return default_review_months()

    @cached_property
    def months(self) -> int:
        if self.filters is not None and self.filters.is_valid():
            return int(self.filters.form.cleaned_data.get("months") or self.default_months)
        return self.default_months

    def get_filterset_kwargs(self):
        kwargs = super().get_filterset_kwargs()
        data = kwargs["data"].copy()
        # No choice yet: the months from the settings, shown as the filter's starting value.
        data.setdefault("months", str(self.default_months))
        return {**kwargs, "data": data, "default_months": self.default_months}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # No search here; without this, the header shows the shop's product search form
        # (Oscar's context processor fills ``search_form`` on every page).
        context["search_form"] = None
        return context

    def get_base_queryset(self):
        pages = pages_due_for_review(
            months=self.months, today=self.today, pages=_pages_the_user_edits(self.request.user)
        )
        # The status column asks whether a page is in moderation: one query for all rows.
        return pages.prefetch_workflow_states()

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "title",
                label="Page",
                accessor="draft_title",
                get_url=lambda page: reverse("wagtailadmin_pages:edit", args=[page.pk]),
            ),
            Column("type", label="Type", accessor=_page_type),
            Column("status", label="Status", accessor="status_string"),
            Column("reviewer", label="Reviewer", accessor=_reviewer),
            Column(
                "last_reviewed_on",
                label="Last reviewed",
                accessor=lambda page: _shown_date(page.last_reviewed_on, NEVER),
            ),
            Column(
                "last_updated_on",
                label="Last updated",
                accessor=lambda page: _shown_date(page.last_updated_on),
            ),
            Column(
                "months_since_review",
                label="Months since review",
                accessor=lambda page: _months_shown(page.last_reviewed_on, self.today),
            ),
        ]

    def to_row_dict(self, item):
        return {
            "title": item.draft_title,
            "type": _page_type(item),
            "status": item.status_string,
            "reviewer": _reviewer(item),
            "last_reviewed_on": item.last_reviewed_on or NEVER,
            "last_updated_on": item.last_updated_on or "",
            "months_since_review": _months_shown(item.last_reviewed_on, self.today),
        }


class MedicalReviewsDuePanel(Component):
    """The CMS home page's note of how many health pages are due for a medical review."""

    name = "medical_reviews_due"
    template_name = "home/admin/medical_reviews_due_panel.html"
    order = 90

    def __init__(self, count: int, months: int):
        self.count = count
        self.months = months

    def get_context_data(self, parent_context):
        return {
            "count": self.count,
            "months": self.months,
            "report_url": reverse("medical_reviews_due"),
        }


def medical_reviews_due_panel(request) -> MedicalReviewsDuePanel | None:
    """The home page panel, for a user who may see the report, when some pages are due."""
    if not can_see_medical_reviews(request.user):
        return None
    months = default_review_months()
    count = pages_due_for_review(months=months, pages=_pages_the_user_edits(request.user)).count()
    return MedicalReviewsDuePanel(count, months) if count else None
