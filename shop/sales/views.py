"""The sales report in Wagtail's admin (/cms/sales/): a period filter, charts with their
tables, and each table exported as CSV or XLSX with Wagtail's own spreadsheet export
(``?export=csv&table=collected``).

Only for users with ``billing.view_sales``: money is not for editors.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import django_filters
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.defaults import permission_denied
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.views.reports import ReportView

from shop.billing.models import InstallmentPlan
from shop.billing.money import from_minor_units
from shop.sales import charts, figures
from shop.sales.figures import WEEK_COUNT_LABELS, Period

VIEW_SALES = "billing.view_sales"
DEFAULT_WEEKS = 12
# Payments to chase shown on the page; the CSV has them all.
CHASE_SHOWN = 50


def can_see_sales(user) -> bool:
    return user.is_active and user.has_perm(VIEW_SALES)


def plan_url(plan_id: int) -> str:
    """The plan's page in the back office (Customers' programs)."""
    return reverse("programs:inspect", args=[plan_id])


class SalesPeriodFilterSet(WagtailFilterSet):
    """The weeks the report covers: whole weeks, from the Monday of the first date to the
    Sunday of the last. The report reads the dates itself; no rows are filtered here."""

    period = django_filters.DateFromToRangeFilter(
        label="Weeks",
        widget=DateRangePickerWidget,
        method="period_keep",
        help_text="Whole weeks, Monday to Sunday. Empty: the last 12 weeks.",
    )

    class Meta:
        model = InstallmentPlan
        fields = []

    def period_keep(self, queryset, name, value):
        return queryset


@dataclass(frozen=True)
class FunnelRow:
    step: str
    plans: int
    rate: Decimal | None


def money(cents: int, currency: str) -> Decimal:
    return from_minor_units(cents, currency)


# One table per export: its rows, columns and headings.
TABLES = {
    "weeks": {
        "filename": "tryouts-per-week",
        "list_export": ["week", "week_end", *WEEK_COUNT_LABELS],
        "export_headings": {"week": "Week of", "week_end": "To", **WEEK_COUNT_LABELS},
    },
    "funnel": {
        "filename": "tryout-funnel",
        "list_export": ["step", "plans", "rate"],
        "export_headings": {
            "step": "Step",
            "plans": "Plans",
            "rate": "% of the step before",
        },
    },
    "collected": {
        "filename": "money-collected",
        "list_export": ["week", "installments", "purchases", "refunds", "collected", "currency"],
        "export_headings": {
            "week": "Week of",
            "installments": "Payments taken",
            "purchases": "Bought outright",
            "refunds": "Refunded",
            "collected": "Collected",
            "currency": "Currency",
        },
    },
    "scheduled": {
        "filename": "money-scheduled",
        "list_export": [
            "week",
            "scheduled_count",
            "scheduled",
            "retries_count",
            "retries",
            "expected",
            "currency",
        ],
        "export_headings": {
            "week": "Week of",
            "scheduled_count": "Payments due",
            "scheduled": "Amount due",
            "retries_count": "Retries",
            "retries": "Amount retried",
            "expected": "Scheduled in all",
            "currency": "Currency",
        },
    },
    "chase": {
        "filename": "payments-to-chase",
        "list_export": [
            "order_number",
            "email",
            "payment_label",
            "amount",
            "currency",
            "status_label",
            "due_at",
            "attempts",
            "next_attempt_at",
            "confirm_by",
        ],
        "export_headings": {
            "order_number": "Order",
            "email": "Customer",
            "payment_label": "Payment",
            "amount": "Amount",
            "currency": "Currency",
            "status_label": "Status",
            "due_at": "Due",
            "attempts": "Attempts",
            "next_attempt_at": "Next retry",
            "confirm_by": "Confirm by",
        },
    },
}


MONEY_COLUMNS = frozenset(
    {"installments", "purchases", "refunds", "collected", "scheduled", "retries", "expected"}
    | {"amount"}
)


@dataclass(frozen=True)
class ExportRow:
    """A row as exported: the figures' row with its money in the currency's units."""

    row: object

    def __getattr__(self, name):
        if name in MONEY_COLUMNS:
            return money(getattr(self.row, f"{name}_cents"), self.row.currency)
        return getattr(self.row, name)


class SalesReportView(ReportView):
    page_title = "Sales"
    header_icon = "success"
    template_name = "sales/report.html"
    results_template_name = "sales/report_results.html"
    index_url_name = "sales:report"
    index_results_url_name = "sales:report_results"
    filterset_class = SalesPeriodFilterSet
    paginate_by = None

    def dispatch(self, request, *args, **kwargs):
        if not can_see_sales(request.user):
            # A plain 403 rather than Wagtail's redirect to the dashboard with a message:
            # the export links are fetched by scripts and spreadsheets, which need the status.
            return permission_denied(request, PermissionDenied())
        return super().dispatch(request, *args, **kwargs)

    def get_filterset_kwargs(self):
        return {**super().get_filterset_kwargs(), "queryset": InstallmentPlan.objects.none()}

    @cached_property
    def table(self) -> str:
        table = self.request.GET.get("table", "weeks")
        return table if table in TABLES else "weeks"

    @property
    def list_export(self):
        return TABLES[self.table]["list_export"]

    @property
    def export_headings(self):
        return TABLES[self.table]["export_headings"]

    def get_filename(self):
        return f"{TABLES[self.table]['filename']}-{timezone.localdate():%Y-%m-%d}"

    @cached_property
    def period(self) -> Period:
        default = Period.last_weeks(DEFAULT_WEEKS)
        if self.filters is None or not self.filters.is_valid():
            return default
        chosen = self.filters.form.cleaned_data.get("period")
        if not chosen or not (chosen.start or chosen.stop):
            return default
        start = chosen.start.date() if chosen.start else None
        # The range filter's end is the last day's last moment (exclusive of the next day).
        stop = (chosen.stop - timedelta(microseconds=1)).date() if chosen.stop else None
        if start and stop:
            return Period.of(start, stop)
        if start:
            return Period.of(start, max(start, timezone.localdate()))
        return Period.of(stop - timedelta(weeks=DEFAULT_WEEKS - 1), stop)

    def table_rows(self, table: str) -> list:
        if table == "weeks":
            return figures.weekly_counts(self.period)
        if table == "funnel":
            return [FunnelRow(*step) for step in figures.tryout_funnel(self.period).steps]
        if table == "collected":
            return figures.collected_per_week(self.period)
        if table == "scheduled":
            return figures.scheduled_per_week()
        return figures.payments_to_chase()

    def get_queryset(self):
        if self.is_export:
            return [ExportRow(row) for row in self.table_rows(self.table)]
        return []

    def get_filtered_queryset(self):
        return self.get_queryset()

    def export_url(self, table: str, export_format: str) -> str:
        query = self.request.GET.copy()
        for key in ("export", "table", "_w_filter_fragment"):
            query.pop(key, None)
        query["table"] = table
        query["export"] = export_format
        return f"{reverse(self.index_url_name)}?{query.urlencode()}"

    def exports(self, table: str) -> dict:
        return {"csv": self.export_url(table, "csv"), "xlsx": self.export_url(table, "xlsx")}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # No search here; without this, the header shows the shop's product search form
        # (Oscar's context processor fills ``search_form`` on every page).
        context["search_form"] = None
        if self.is_export:
            return context
        period = self.period
        weeks = figures.weekly_counts(period)
        funnel = figures.tryout_funnel(period)
        collected = figures.collected_per_week(period)
        scheduled = figures.scheduled_per_week()
        chase = figures.payments_to_chase(limit=CHASE_SHOWN)
        currency = figures.shop_currency()
        context.update(
            period=period,
            period_last_day=period.last + timedelta(days=6),
            currency=currency,
            week_counts=weeks,
            count_charts=[
                (label, charts.counts_chart(weeks, name, label))
                for name, label in WEEK_COUNT_LABELS.items()
            ],
            week_count_labels=WEEK_COUNT_LABELS,
            funnel=funnel,
            funnel_chart=charts.funnel_chart(funnel),
            collected=collected,
            collected_total_cents=sum(week.collected_cents for week in collected),
            collected_chart=charts.money_chart(collected, title="Money collected per week"),
            scheduled=scheduled,
            scheduled_total_cents=sum(week.expected_cents for week in scheduled),
            timeline_chart=charts.money_chart(
                figures.collected_per_week(Period.last_weeks(4)),
                scheduled,
                title="Collected and scheduled",
            ),
            chase=[(row, plan_url(row.plan_id)) for row in chase],
            chase_count=figures.payments_to_chase_queryset().count(),
            exports={table: self.exports(table) for table in TABLES},
        )
        return context
