"""How the program sells, week by week: the figures of the sales report and of the CMS
dashboard's panel.

Each function reads the database in a few aggregate queries (their number does not grow
with the number of plans) and returns plain dataclasses. Weeks start on Monday in the
site's time zone (UTC), and every week of a range is there, weeks with nothing included.

"Revenue" means money collected: what Stripe took (installments, products bought
outright) minus what was given back, in the week the money moved. A tryout has collected
nothing, whatever its order's total says. The first payment of a program bought without
the tryout is recorded as its plan's first installment (shop.billing.services
``first_installment_paid_record``), so it is counted there and never from its checkout
payment.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, TruncWeek
from django.utils import timezone

from shop.billing.models import (
    ChargeStatus,
    InstallmentPlan,
    PlanEvent,
    PlanStatus,
    ScheduledCharge,
)
from shop.checkout.models import CheckoutPayment

# The events that record money given back (``transitions.refund_recorded``): every refund,
# the author's, the shop's own and those made in Stripe's dashboard, with its cents.
REFUND_EVENTS = ("charge_refunded", "charge_partially_refunded")
# A payment Stripe took and kept, until part or all of it is refunded.
TAKEN = (ChargeStatus.PAID, ChargeStatus.REFUNDED)
# Installments to chase: refused, or waiting for the customer to confirm with their bank.
TO_CHASE = (ChargeStatus.FAILED, ChargeStatus.AWAITING_CONFIRMATION)
SCHEDULED_WEEKS = 8


def shop_currency() -> str:
    return settings.OSCAR_DEFAULT_CURRENCY


def week_of(moment: date | datetime) -> date:
    """The Monday of the week ``moment`` falls in (in the site's time zone)."""
    if isinstance(moment, datetime):
        moment = timezone.localtime(moment).date()
    return moment - timedelta(days=moment.weekday())


def weeks_from(first: date, last: date) -> list[date]:
    """The Mondays of every week from the one holding ``first`` to the one holding ``last``."""
    monday, end = week_of(first), week_of(last)
    weeks = []
    while monday <= end:
        weeks.append(monday)
        monday += timedelta(days=7)
    return weeks


def week_start_moment(monday: date) -> datetime:
    return timezone.make_aware(datetime.combine(monday, time.min))


@dataclass(frozen=True)
class Period:
    """Whole weeks, Monday to Sunday: ``first`` and ``last`` are Mondays."""

    first: date
    last: date

    @classmethod
    def of(cls, start: date, end: date) -> "Period":
        start, end = min(start, end), max(start, end)
        return cls(week_of(start), week_of(end))

    @classmethod
    def last_weeks(cls, count: int, today: date | None = None) -> "Period":
        """The ``count`` weeks ending with this one."""
        this_week = week_of(today or timezone.localdate())
        return cls(this_week - timedelta(weeks=count - 1), this_week)

    @property
    def weeks(self) -> list[date]:
        return weeks_from(self.first, self.last)

    @property
    def starts_at(self) -> datetime:
        return week_start_moment(self.first)

    @property
    def ends_at(self) -> datetime:
        """The moment after the last week (exclusive)."""
        return week_start_moment(self.last + timedelta(days=7))

    def moments(self, field: str) -> dict:
        return {f"{field}__gte": self.starts_at, f"{field}__lt": self.ends_at}


def _by_week(queryset, field: str, **aggregates) -> dict[date, dict]:
    """{Monday: {name: value}} for ``aggregates`` over the rows grouped by week of ``field``."""
    rows = (
        queryset.annotate(week=TruncWeek(field))
        .values("week")
        .annotate(**aggregates)
        .order_by("week")
    )
    return {week_of(row.pop("week")): row for row in rows}


# Weekly counts


@dataclass(frozen=True)
class WeekCounts:
    """What happened to plans in one week (each plan counted once per figure and week)."""

    week: date
    tryouts_started: int = 0
    tryouts_quit: int = 0
    converted: int = 0  # tryouts whose first payment was taken
    paid_in_full: int = 0
    payments_failed: int = 0  # plans with a payment refused
    refunded: int = 0  # plans given money back

    @property
    def week_end(self) -> date:
        return self.week + timedelta(days=6)


WEEK_COUNT_LABELS = {
    "tryouts_started": "Tryouts started",
    "tryouts_quit": "Tryouts quit",
    "converted": "Converted to paid",
    "paid_in_full": "Paid in full",
    "payments_failed": "Payment failed",
    "refunded": "Refunded",
}
# Figures read from the plan events (``transitions``): quitting is only recorded there, and
# each refused attempt leaves a "charge_failed" event while the installment is retried.
EVENT_FIGURE = {"trial_quit": "tryouts_quit", "charge_failed": "payments_failed"}


def weekly_counts(period: Period) -> list[WeekCounts]:
    """Tryouts started, quit and converted, plans paid in full, failed payments and refunds,
    per week of ``period``. Four queries."""
    counts: dict[date, dict[str, int]] = defaultdict(dict)
    started = _by_week(
        InstallmentPlan.objects.filter(with_trial=True, **period.moments("trial_started_at")),
        "trial_started_at",
        n=Count("pk"),
    )
    for week, row in started.items():
        counts[week]["tryouts_started"] = row["n"]
    # A tryout converts when its first installment is taken; a plan is paid in full when
    # its last one is (installments are taken in order, each only after the one before).
    payments = _by_week(
        ScheduledCharge.objects.filter(status__in=TAKEN, **period.moments("paid_at")),
        "paid_at",
        converted=Count("pk", filter=Q(sequence=1, plan__with_trial=True)),
        paid_in_full=Count("pk", filter=Q(sequence=F("plan__installment_count"))),
    )
    for week, row in payments.items():
        counts[week].update(row)
    events = (
        PlanEvent.objects.filter(kind__in=list(EVENT_FIGURE), **period.moments("created_at"))
        .annotate(week=TruncWeek("created_at"))
        .values("week", "kind")
        .annotate(plans=Count("plan", distinct=True))
        .order_by()
    )
    for row in events:
        counts[week_of(row["week"])][EVENT_FIGURE[row["kind"]]] = row["plans"]
    # Full and partial refunds of one plan in one week count the plan once.
    refunded = _by_week(
        PlanEvent.objects.filter(kind__in=REFUND_EVENTS, **period.moments("created_at")),
        "created_at",
        plans=Count("plan", distinct=True),
    )
    for week, row in refunded.items():
        counts[week]["refunded"] = row["plans"]
    return [WeekCounts(week=week, **counts.get(week, {})) for week in period.weeks]


# The tryout funnel


def _rate(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent, one decimal; None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Funnel:
    """The tryouts started in a period and how far they went (whenever they got there)."""

    started: int
    still_in_tryout: int
    quit: int
    first_payment: int
    paid_in_full: int

    @property
    def first_payment_rate(self) -> Decimal | None:
        """Of the tryouts started, how many paid their first payment."""
        return _rate(self.first_payment, self.started)

    @property
    def paid_in_full_rate(self) -> Decimal | None:
        """Of those who paid the first payment, how many paid in full."""
        return _rate(self.paid_in_full, self.first_payment)

    @property
    def overall_rate(self) -> Decimal | None:
        """Of the tryouts started, how many paid in full."""
        return _rate(self.paid_in_full, self.started)

    @property
    def steps(self) -> list[tuple[str, int, Decimal | None]]:
        """(step, plans, rate from the step before) from the tryout to paid in full."""
        return [
            ("Tryouts started", self.started, None),
            ("First payment", self.first_payment, self.first_payment_rate),
            ("Paid in full", self.paid_in_full, self.paid_in_full_rate),
        ]


def tryout_funnel(period: Period) -> Funnel:
    """Tryouts started in ``period``: how many are still running, were quit, paid the first
    payment, paid in full. One query."""
    paid = ScheduledCharge.objects.filter(
        plan=OuterRef("pk"), status__in=TAKEN, paid_at__isnull=False
    )
    figures = (
        InstallmentPlan.objects.filter(with_trial=True, **period.moments("trial_started_at"))
        .annotate(
            first_paid=Exists(paid.filter(sequence=1)),
            last_paid=Exists(paid.filter(sequence=OuterRef("installment_count"))),
        )
        .aggregate(
            started=Count("pk"),
            still_in_tryout=Count("pk", filter=Q(status=PlanStatus.TRIALING)),
            quit=Count("pk", filter=Q(status=PlanStatus.TRIAL_QUIT)),
            first_payment=Count("pk", filter=Q(first_paid=True)),
            paid_in_full=Count("pk", filter=Q(first_paid=True, last_paid=True)),
        )
    )
    return Funnel(**figures)


# Money collected


@dataclass(frozen=True)
class WeekMoney:
    """Money that moved in one week, in the shop's currency's smallest unit."""

    week: date
    installments_cents: int = 0
    purchases_cents: int = 0
    refunds_cents: int = 0
    currency: str = "USD"

    @property
    def collected_cents(self) -> int:
        """What Stripe took minus what it gave back: the revenue."""
        return self.installments_cents + self.purchases_cents - self.refunds_cents


def _collected_by_week(period: Period) -> dict[date, dict[str, int]]:
    currency = shop_currency()
    installments = _by_week(
        ScheduledCharge.objects.filter(
            status__in=TAKEN, currency=currency, **period.moments("paid_at")
        ),
        "paid_at",
        cents=Sum("amount_cents"),
    )
    purchases = _by_week(
        CheckoutPayment.objects.filter(
            kind=CheckoutPayment.Kind.PURCHASE,
            currency=currency,
            order__isnull=False,
            **period.moments("order__date_placed"),
        ),
        "order__date_placed",
        cents=Sum("amount_cents"),
    )
    refunds = _by_week(
        PlanEvent.objects.filter(
            kind__in=REFUND_EVENTS, plan__currency=currency, **period.moments("created_at")
        ),
        "created_at",
        cents=Sum(Cast(KT("data__cents"), IntegerField())),
    )
    weeks: dict[date, dict[str, int]] = defaultdict(dict)
    for name, rows in (
        ("installments_cents", installments),
        ("purchases_cents", purchases),
        ("refunds_cents", refunds),
    ):
        for week, row in rows.items():
            weeks[week][name] = row["cents"] or 0
    return weeks


def collected_per_week(period: Period) -> list[WeekMoney]:
    """Money collected in each week of ``period``: installments and products bought
    outright taken by Stripe, minus refunds, in the week the money moved. Three queries."""
    weeks = _collected_by_week(period)
    currency = shop_currency()
    return [WeekMoney(week=week, currency=currency, **weeks.get(week, {})) for week in period.weeks]


def collected_between(start: datetime | None, end: datetime) -> int:
    """Money collected from ``start`` (included; None: ever) to ``end`` (excluded), in
    cents."""
    since = {} if start is None else {"gte": start}

    def moments(field: str) -> dict:
        return {f"{field}__lt": end, **{f"{field}__{op}": at for op, at in since.items()}}

    currency = shop_currency()
    taken = (
        ScheduledCharge.objects.filter(
            status__in=TAKEN, currency=currency, **moments("paid_at")
        ).aggregate(cents=Sum("amount_cents"))["cents"]
        or 0
    )
    bought = (
        CheckoutPayment.objects.filter(
            kind=CheckoutPayment.Kind.PURCHASE,
            currency=currency,
            order__isnull=False,
            **moments("order__date_placed"),
        ).aggregate(cents=Sum("amount_cents"))["cents"]
        or 0
    )
    given_back = (
        PlanEvent.objects.filter(
            kind__in=REFUND_EVENTS, plan__currency=currency, **moments("created_at")
        ).aggregate(cents=Sum(Cast(KT("data__cents"), IntegerField())))["cents"]
        or 0
    )
    return taken + bought - given_back


def collected_from_orders(orders) -> int:
    """Money collected so far from ``orders`` (an Order queryset), in cents: their plans'
    payments and their products bought outright, minus refunds. A tryout's order: 0."""
    currency = shop_currency()
    taken = (
        ScheduledCharge.objects.filter(
            plan__order__in=orders, status__in=TAKEN, currency=currency
        ).aggregate(cents=Sum("amount_cents"))["cents"]
        or 0
    )
    bought = (
        CheckoutPayment.objects.filter(
            order__in=orders, kind=CheckoutPayment.Kind.PURCHASE, currency=currency
        ).aggregate(cents=Sum("amount_cents"))["cents"]
        or 0
    )
    given_back = (
        PlanEvent.objects.filter(
            plan__order__in=orders, kind__in=REFUND_EVENTS, plan__currency=currency
        ).aggregate(cents=Sum(Cast(KT("data__cents"), IntegerField())))["cents"]
        or 0
    )
    return taken + bought - given_back


# Money scheduled


@dataclass(frozen=True)
class WeekScheduled:
    """Payments due in one week to come: installments on their due date, failed ones on
    their next retry."""

    week: date
    scheduled_cents: int = 0
    scheduled_count: int = 0
    retries_cents: int = 0
    retries_count: int = 0
    currency: str = "USD"

    @property
    def expected_cents(self) -> int:
        return self.scheduled_cents + self.retries_cents


def scheduled_per_week(
    weeks: int = SCHEDULED_WEEKS, now: datetime | None = None
) -> list[WeekScheduled]:
    """Money scheduled for this week and the ``weeks - 1`` after it. An installment already
    due but not yet taken counts in this week, when the billing run takes it. Two queries."""
    now = now or timezone.now()
    period = Period.last_weeks(1, timezone.localtime(now).date())
    period = Period(period.first, period.first + timedelta(weeks=weeks - 1))
    currency = shop_currency()
    scheduled = _by_week(
        ScheduledCharge.objects.filter(
            status=ChargeStatus.SCHEDULED, currency=currency, due_at__lt=period.ends_at
        ),
        "due_at",
        cents=Sum("amount_cents"),
        n=Count("pk"),
    )
    retries = _by_week(
        ScheduledCharge.objects.filter(
            status=ChargeStatus.FAILED,
            currency=currency,
            next_attempt_at__isnull=False,
            next_attempt_at__lt=period.ends_at,
        ),
        "next_attempt_at",
        cents=Sum("amount_cents"),
        n=Count("pk"),
    )
    totals: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for prefix, rows in (("scheduled", scheduled), ("retries", retries)):
        for week, row in rows.items():
            week = max(week, period.first)
            totals[week][f"{prefix}_cents"] += row["cents"] or 0
            totals[week][f"{prefix}_count"] += row["n"]
    return [
        WeekScheduled(week=week, currency=currency, **totals.get(week, {})) for week in period.weeks
    ]


# Payments to chase


@dataclass(frozen=True)
class PaymentToChase:
    """An installment refused or waiting for the customer's confirmation."""

    plan_id: int
    order_number: str
    email: str
    sequence: int
    installment_count: int
    amount_cents: int
    currency: str
    status: str
    status_label: str
    due_at: datetime
    attempts: int
    next_attempt_at: datetime | None
    confirm_by: datetime | None

    @property
    def payment_label(self) -> str:
        return f"Payment {self.sequence} of {self.installment_count}"

    @property
    def next_step_at(self) -> datetime | None:
        """The next retry of a failed payment, or the deadline to confirm a waiting one."""
        return (
            self.confirm_by
            if self.status == ChargeStatus.AWAITING_CONFIRMATION
            else (self.next_attempt_at)
        )


def payments_to_chase_queryset():
    # The most recent first: they are the ones a word to the customer can still save.
    return ScheduledCharge.objects.filter(status__in=TO_CHASE).order_by("-due_at", "-pk")


def payments_to_chase(limit: int | None = None) -> list[PaymentToChase]:
    """Failed and waiting payments, the most recently due first. One query."""
    rows = payments_to_chase_queryset().values(
        "plan_id",
        "plan__order__number",
        "plan__user__email",
        "sequence",
        "plan__installment_count",
        "amount_cents",
        "currency",
        "status",
        "due_at",
        "attempts",
        "next_attempt_at",
        "confirm_by",
    )
    if limit is not None:
        rows = rows[:limit]
    labels = dict(ChargeStatus.choices)
    return [
        PaymentToChase(
            plan_id=row["plan_id"],
            order_number=row["plan__order__number"],
            email=row["plan__user__email"],
            sequence=row["sequence"],
            installment_count=row["plan__installment_count"],
            amount_cents=row["amount_cents"],
            currency=row["currency"],
            status=row["status"],
            status_label=labels[row["status"]],
            due_at=row["due_at"],
            attempts=row["attempts"],
            next_attempt_at=row["next_attempt_at"],
            confirm_by=row["confirm_by"],
        )
        for row in rows
    ]


# The dashboard panel


@dataclass(frozen=True)
class AtAGlance:
    """The CMS dashboard's figures."""

    this_week_cents: int
    last_four_weeks_cents: int
    tryouts_running: int
    to_chase: int
    weeks: list[WeekMoney]
    currency: str


def at_a_glance(now: datetime | None = None) -> AtAGlance:
    """Collected this week and in the 4 weeks ending with it, tryouts running, payments to
    chase, and the last 8 weeks collected. Five queries."""
    now = now or timezone.now()
    weeks = collected_per_week(Period.last_weeks(8, timezone.localtime(now).date()))
    counts = InstallmentPlan.objects.aggregate(
        running=Count("pk", filter=Q(status=PlanStatus.TRIALING, trial_ends_at__gt=now)),
    )
    return AtAGlance(
        this_week_cents=weeks[-1].collected_cents,
        last_four_weeks_cents=sum(week.collected_cents for week in weeks[-4:]),
        tryouts_running=counts["running"],
        to_chase=payments_to_chase_queryset().count(),
        weeks=weeks,
        currency=shop_currency(),
    )
