"""The sales charts, drawn on the server as small SVG: no script and no request to anyone.

Each chart names itself (role="img", <title>, <desc>), writes every value on or beside its
bar, and tells collected from scheduled money by a fill pattern and an outline as well as
by its legend, never by colour alone. Colours come from the stylesheet (sales/sales.css),
which follows Wagtail's admin theme. The viewBox lets a chart shrink to the screen's width.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from shop.billing.money import currency_decimals, from_minor_units

SYMBOLS = {"USD": "$", "CAD": "$", "AUD": "$", "NZD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def short_money(cents: int, currency: str) -> str:
    """A bar's label: "$98.50", "$1.2k", "−$20.00" (the table beside it has the exact sum)."""
    amount = from_minor_units(abs(cents), currency)
    symbol = SYMBOLS.get(currency, f"{currency} ")
    sign = "−" if cents < 0 else ""
    if amount >= 1_000_000:
        text = f"{amount / 1_000_000:.1f}M"
    elif amount >= 1000:
        text = f"{amount / 1000:.1f}k"
    elif currency_decimals(currency) and amount:
        text = f"{amount:.2f}"
    else:
        text = f"{amount:.0f}"
    return f"{sign}{symbol}{text}"


def _n(number) -> str:
    """A coordinate, to a tenth of a unit."""
    return f"{number:.1f}"


def short_week(week: date) -> str:
    return f"{week:%b} {week.day}"


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar: the week
    value: int  # its height
    text: str  # written above it: the value
    hatched: bool = False  # scheduled (to come) rather than collected


def _svg(width: int, height: int, title: str, desc: str, body: SafeString, klass: str):
    return format_html(
        '<svg class="sales-chart {}" viewBox="0 0 {} {}" width="100%" role="img" '
        'aria-labelledby="{}-title {}-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        klass,
        width,
        height,
        _id(title),
        _id(title),
        _id(title),
        title,
        _id(title),
        desc,
        body,
    )


def _id(title: str) -> str:
    return "chart-" + "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-")


def _hatch(chart_id: str) -> SafeString:
    return format_html(
        '<defs><pattern id="{}-hatch" class="sales-hatch" width="6" height="6" '
        'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<line x1="0" y1="0" x2="0" y2="6" stroke-width="3"/></pattern></defs>',
        chart_id,
    )


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    desc: str,
    today_before: int | None = None,
    height: int = 180,
    small: bool = False,
) -> SafeString:
    """Vertical bars, one per week, each value written above (below, when negative) its bar.
    ``today_before``: the index of the first bar to come, where a "today" line is drawn."""
    slot = 42 if small else 54
    top, bottom = (34 if today_before is not None else 18), 22
    width = max(slot * len(bars), 160)
    plot = height - top - bottom
    high = max([bar.value for bar in bars] + [0])
    low = min([bar.value for bar in bars] + [0])
    span = (high - low) or 1
    # With nothing to draw, the axis stays at the bottom, where a week of zeros stands.
    zero = top + plot * high / span if (high or low) else top + plot
    chart_id = _id(title)
    parts = [_hatch(chart_id)]
    parts.append(
        format_html(
            '<line class="sales-axis" x1="0" x2="{}" y1="{}" y2="{}"/>', width, _n(zero), _n(zero)
        )
    )
    for index, bar in enumerate(bars):
        x = index * slot + slot * 0.15
        w = slot * 0.7
        size = plot * abs(bar.value) / span
        y = zero - size if bar.value >= 0 else zero
        fill = f"url(#{chart_id}-hatch)" if bar.hatched else ""
        parts.append(
            format_html(
                '<rect class="{}" x="{}" y="{}" width="{}" height="{}"{}/>',
                # Not "sales-bar": its stylesheet fill would cover the hatching.
                "sales-bar-scheduled" if bar.hatched else "sales-bar",
                _n(x),
                _n(y),
                _n(w),
                _n(max(size, 0.5 if bar.value else 0)),
                format_html(' fill="{}"', fill) if fill else "",
            )
        )
        # A negative bar's value sits above the axis, clear of the week's label below.
        text_y = y - 4 if bar.value >= 0 else zero - 4
        parts.append(
            format_html(
                '<text class="sales-value" x="{}" y="{}" text-anchor="middle">{}</text>',
                _n(x + w / 2),
                _n(max(text_y, 11)),
                bar.text,
            )
        )
        parts.append(
            format_html(
                '<text class="sales-label" x="{}" y="{}" text-anchor="middle">{}</text>',
                _n(x + w / 2),
                height - 6,
                bar.label,
            )
        )
    if today_before is not None:
        x = today_before * slot
        parts.append(
            format_html(
                '<line class="sales-today" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                '<text class="sales-today-label" x="{}" y="{}" text-anchor="end">today</text>'
                # The legend: the same fill and outline as the bars, and their names.
                '<rect class="sales-bar" x="0" y="2" width="12" height="10"/>'
                '<text class="sales-label" x="16" y="11">collected</text>'
                '<rect class="sales-bar-scheduled" x="80" y="2" width="12" height="10" fill="{}"/>'
                '<text class="sales-label" x="96" y="11">scheduled</text>',
                x,
                x,
                top - 4,
                height - bottom,
                x - 3,
                top - 6,
                f"url(#{chart_id}-hatch)",
            )
        )
    body = mark_safe("".join(parts))  # noqa: S308 - every part is built with format_html
    return _svg(width, height, title, desc, body, "sales-chart--small" if small else "")


def compact_weeks(weeks: Sequence[date]) -> list[str]:
    """Labels that fit under small bars: the month where it starts or changes, then only
    the day ("Oct 19", "26", "Nov 2", "9")."""
    labels, month = [], None
    for week in weeks:
        labels.append(short_week(week) if week.month != month else str(week.day))
        month = week.month
    return labels


def counts_chart(weeks, figure: str, label: str) -> SafeString:
    """One small chart of a weekly count (small multiples, one per figure)."""
    labels = compact_weeks([week.week for week in weeks])
    bars = [
        Bar(short, getattr(week, figure), str(getattr(week, figure)))
        for short, week in zip(labels, weeks, strict=True)
    ]
    values = ", ".join(
        f"{short_week(week.week)}: {bar.text}" for week, bar in zip(weeks, bars, strict=True)
    )
    return bar_chart(bars, title=label, desc=f"{label} per week. {values}.", small=True)


def money_chart(collected, scheduled=(), *, title: str = "Money collected and scheduled"):
    """Collected per week (solid, past) then scheduled per week (hatched and outlined, to
    come), on one time axis with a "today" line between them."""
    bars = [
        Bar(short_week(w.week), w.collected_cents, short_money(w.collected_cents, w.currency))
        for w in collected
    ]
    # This week appears twice when both are given: collected so far, then still to come.
    bars += [
        Bar(short_week(w.week), w.expected_cents, short_money(w.expected_cents, w.currency), True)
        for w in scheduled
    ]
    described = "; ".join(
        f"{bar.label} {'scheduled' if bar.hatched else 'collected'} {bar.text}" for bar in bars
    )
    desc = (
        "Money collected per week (solid bars) "
        + (
            "and scheduled per week to come (hatched bars, after the today line). "
            if scheduled
            else ". "
        )
        + described
        + "."
    )
    return bar_chart(
        bars,
        title=title,
        desc=desc,
        today_before=len(collected) if scheduled else None,
        height=200,
    )


def funnel_chart(funnel) -> SafeString:
    """The tryout funnel as labelled horizontal bars, with the plans and the rate from the
    step before written beside each."""
    steps = funnel.steps
    width, row, label_w, value_w = 560, 34, 130, 150
    height = row * len(steps) + 8
    biggest = max([count for _, count, _ in steps] + [1])
    chart_id = _id("Tryout funnel")
    parts = []
    for index, (name, count, rate) in enumerate(steps):
        y = 4 + index * row
        w = (width - label_w - value_w) * count / biggest
        rate_text = "" if rate is None else f" ({_percent(rate)} of the step before)"
        parts.append(
            format_html(
                '<text class="sales-label sales-label--left" x="0" y="{}">{}</text>'
                '<rect class="sales-bar" x="{}" y="{}" width="{}" height="{}"/>'
                '<text class="sales-value" x="{}" y="{}">{}{}</text>',
                y + row / 2 + 4,
                name,
                label_w,
                y + 4,
                _n(max(w, 0.5 if count else 0)),
                row - 10,
                _n(label_w + w + 6),
                y + row / 2 + 4,
                count,
                rate_text,
            )
        )
    desc = "; ".join(
        f"{name}: {count}" + ("" if rate is None else f", {_percent(rate)}")
        for name, count, rate in steps
    )
    body = format_html_join("", "{}", ((part,) for part in parts))
    return _svg(
        width, height, "Tryout funnel", escape(desc), body, f"sales-chart--funnel {chart_id}"
    )


def _percent(rate: Decimal) -> str:
    return f"{rate}%"
