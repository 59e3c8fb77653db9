"""The sales report at /cms/sales/ and the CMS dashboard's panel: what they show, their
charts and exports, who may see them, and a number of queries that does not grow with the
number of plans. Oscar's dashboard counts revenue as money collected."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shop.billing.models import ChargeStatus, ScheduledCharge
from shop.billing.services import SavedCard
from tests.shop.bulk_plans import plans_in_bulk
from tests.shop.factories import ProgramFactory
from tests.shop.sales_plans import NOW, known_plans, paid, plan_started

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-pass-phrase"


def member(django_user_model, username: str, *permissions: str):
    user = django_user_model.objects.create_user(
        username, f"{username}@example.com", PASSWORD, is_staff=True
    )
    for name in ("wagtailadmin.access_admin", *permissions):
        app_label, codename = name.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


@pytest.fixture
def shop_manager(django_user_model):
    return member(django_user_model, "manager", "billing.view_sales")


@pytest.fixture
def editor(django_user_model):
    return member(django_user_model, "editor", "wagtailcore.add_page")


@pytest.fixture
def plans():
    built = known_plans()
    with time_machine.travel(NOW, tick=False):
        yield built


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def exported(client, url: str) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def svgs(html: str) -> list[str]:
    return re.findall(r'<svg class="sales-chart.*?</svg>', html, flags=re.S)


def texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


PERIOD = "period_from=2026-10-19&period_to=2026-11-29"


def test_report_shows_every_table_for_the_chosen_weeks(client, shop_manager, plans):
    client.force_login(shop_manager)

    html = page(client, f"/cms/sales/?{PERIOD}")

    assert "Weeks from Monday October 19, 2026 to Sunday November 29, 2026" in html
    assert "Money collected: $497.50" in html
    for amount in ("$123.50", "-$20.00", "$98.50"):
        assert amount in html
    assert "Money scheduled, next 8 weeks: $591.00" in html
    assert "Payments to chase: 2" in html
    assert "waiting@example.com" in html and "failed@example.com" in html
    assert "Customer can confirm until November 30, 2026" in html
    assert "Tried again on November 25, 2026" in html
    order = plans.failed.order.number
    assert re.search(rf'<a href="[^"]+">Order {order}</a>', html)
    # The funnel of the tryouts started in these weeks: "waiting", "failed" and "running".
    assert "1 still in their tryout, 0 quit" in html


def test_report_defaults_to_the_last_twelve_weeks(client, shop_manager, plans):
    client.force_login(shop_manager)

    html = page(client, "/cms/sales/")

    assert "Weeks from Monday September 7, 2026 to Sunday November 29, 2026" in html
    assert html.count('<th scope="row">September 7, 2026</th>') == 2  # counts and money


def test_charts_write_their_values_and_need_nobody_else(client, shop_manager, plans):
    client.force_login(shop_manager)

    html = page(client, f"/cms/sales/?{PERIOD}")
    charts = svgs(html)

    # Six small multiples, the funnel, money collected, collected then scheduled.
    assert len(charts) == 9
    for svg in charts:
        assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
        assert 'viewBox="' in svg and 'width="100%"' in svg
        assert re.findall(r"https?://", svg) == ["http://"]  # the SVG namespace only
        assert "<script" not in svg and "<image" not in svg
    started = texts(charts[0])
    assert started[::2] == ["0", "0", "0", "2", "1", "0"]  # a value, then its week
    assert started[1::2] == ["Oct 19", "26", "Nov 2", "9", "16", "23"]
    funnel = texts(charts[6])
    assert funnel == [
        "Tryouts started",
        "3",
        "First payment",
        "0 (0.0% of the step before)",
        "Paid in full",
        "0",
    ]
    collected = texts(charts[7])
    assert collected[::2] == ["$98.50", "$98.50", "−$20.00", "$123.50", "$98.50", "$98.50"]
    timeline = charts[8]
    assert {"today", "collected", "scheduled"} <= set(texts(timeline))
    # Scheduled bars are hatched and outlined, and said to be scheduled in the description.
    assert timeline.count('class="sales-bar-scheduled"') == 8 + 1  # and the legend's
    assert 'fill="url(#chart-collected-and-scheduled-hatch)"' in timeline
    assert "Nov 30 scheduled $98.50" in timeline and "Dec 21 scheduled $197.00" in timeline


def test_each_table_exports_as_csv(client, shop_manager, plans):
    client.force_login(shop_manager)

    weeks = exported(client, f"/cms/sales/?{PERIOD}&table=weeks&export=csv")
    collected = exported(client, f"/cms/sales/?{PERIOD}&table=collected&export=csv")
    funnel = exported(client, f"/cms/sales/?{PERIOD}&table=funnel&export=csv")
    scheduled = exported(client, "/cms/sales/?table=scheduled&export=csv")
    chase = exported(client, "/cms/sales/?table=chase&export=csv")

    assert weeks[0] == [
        "Week of",
        "To",
        "Tryouts started",
        "Tryouts quit",
        "Converted to paid",
        "Paid in full",
        "Payment failed",
        "Refunded",
    ]
    assert weeks[1:] == [
        ["2026-10-19", "2026-10-25", "0", "0", "1", "0", "0", "0"],
        ["2026-10-26", "2026-11-01", "0", "0", "2", "0", "0", "1"],
        ["2026-11-02", "2026-11-08", "0", "0", "0", "0", "0", "1"],
        ["2026-11-09", "2026-11-15", "2", "0", "0", "0", "0", "0"],
        ["2026-11-16", "2026-11-22", "1", "0", "0", "1", "0", "0"],
        ["2026-11-23", "2026-11-29", "0", "0", "0", "1", "1", "0"],
    ]
    assert collected == [
        ["Week of", "Payments taken", "Bought outright", "Refunded", "Collected", "Currency"],
        ["2026-10-19", "98.50", "0.00", "0.00", "98.50", "USD"],
        ["2026-10-26", "197.00", "0.00", "98.50", "98.50", "USD"],
        ["2026-11-02", "0.00", "0.00", "20.00", "-20.00", "USD"],
        ["2026-11-09", "98.50", "25.00", "0.00", "123.50", "USD"],
        ["2026-11-16", "98.50", "0.00", "0.00", "98.50", "USD"],
        ["2026-11-23", "98.50", "0.00", "0.00", "98.50", "USD"],
    ]
    assert funnel == [
        ["Step", "Plans", "% of the step before"],
        ["Tryouts started", "3", ""],
        ["First payment", "0", "0.0"],
        ["Paid in full", "0", ""],
    ]
    assert [row[0] for row in scheduled[1:]] == [
        "2026-11-23",
        "2026-11-30",
        "2026-12-07",
        "2026-12-14",
        "2026-12-21",
        "2026-12-28",
        "2027-01-04",
        "2027-01-11",
    ]
    assert scheduled[5] == ["2026-12-21", "2", "197.00", "0", "0.00", "197.00", "USD"]
    assert chase[0][:3] == ["Order", "Customer", "Payment"]
    assert [row[1:6] for row in chase[1:]] == [
        ["failed@example.com", "Payment 1 of 2", "98.50", "USD", "Failed"],
        ["waiting@example.com", "Payment 1 of 2", "98.50", "USD", "Awaiting confirmation"],
    ]


def test_exports_are_linked_beside_each_table_and_xlsx_too(client, shop_manager, plans):
    client.force_login(shop_manager)

    html = page(client, f"/cms/sales/?{PERIOD}")
    for table in ("weeks", "funnel", "collected", "scheduled", "chase"):
        assert f"table={table}&amp;export=csv" in html
        assert f"table={table}&amp;export=xlsx" in html
    response = client.get(f"/cms/sales/?{PERIOD}&table=collected&export=xlsx")
    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]


def test_the_panel_on_the_cms_dashboard(client, shop_manager, plans):
    client.force_login(shop_manager)

    html = page(client, "/cms/")

    panel = html[html.index('class="panel summary nice-padding sales-panel"') :]
    panel = panel[: panel.index("</section>")]
    assert re.search(r"Collected this week</dt><dd>\$98\.50</dd>", panel)
    # Nov 2 to Nov 29: −20.00 + 123.50 + 98.50 + 98.50
    assert re.search(r"Collected, last 4 weeks</dt><dd>\$300\.50</dd>", panel)
    assert re.search(r"Tryouts running</dt><dd>1</dd>", panel)
    assert re.search(
        r'Payments to chase</dt><dd><a href="/cms/sales/#payments-to-chase">2</a>', panel
    )
    assert 'href="/cms/sales/"' in panel
    (chart,) = svgs(panel)
    assert texts(chart)[::2] == [
        "$0",
        "$0",
        "$98.50",
        "$98.50",
        "−$20.00",
        "$123.50",
        "$98.50",
        "$98.50",
    ]
    assert 'href="/cms/sales/"' in html  # the menu item


def test_an_editor_sees_neither_report_nor_panel_nor_menu(client, editor, plans):
    client.force_login(editor)

    home = page(client, "/cms/")

    assert "sales-panel" not in home and "/cms/sales/" not in home
    assert client.get("/cms/sales/").status_code == 403
    assert client.get("/cms/sales/results/").status_code == 403
    refused = client.get("/cms/sales/?table=collected&export=csv")
    assert refused.status_code == 403 and "98.50" not in refused.content.decode()


def many_plans(count: int, prefix: str) -> None:
    """``count`` plans in bulk, a third paid, a third failed, as a year of sales leaves them."""
    product = ProgramFactory(title=f"Program {prefix}")
    card = SavedCard(
        customer_id="cus_bulk",
        payment_method_id="pm_bulk",
        setup_intent_id=f"seti_{prefix}",
        fingerprint="fp",
        brand="visa",
        last4="4242",
    )
    start = NOW - timedelta(days=30)
    made = plans_in_bulk(product=product, card=card, start=start, count=count, prefix=prefix)
    firsts = ScheduledCharge.objects.filter(plan__in=made.plans, sequence=1).order_by("pk")
    ids = list(firsts.values_list("pk", flat=True))
    ScheduledCharge.objects.filter(pk__in=ids[::3]).update(
        status=ChargeStatus.PAID, paid_at=NOW - timedelta(days=10)
    )
    ScheduledCharge.objects.filter(pk__in=ids[1::3]).update(
        status=ChargeStatus.FAILED, attempts=1, next_attempt_at=NOW + timedelta(days=1)
    )


def queries_of(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def test_queries_do_not_grow_with_the_plans(client, shop_manager):
    client.force_login(shop_manager)
    with time_machine.travel(NOW, tick=False):
        many_plans(1, "one")
        few = (queries_of(client, "/cms/sales/"), queries_of(client, "/cms/"))
        many_plans(30, "thirty")
        many = (queries_of(client, "/cms/sales/"), queries_of(client, "/cms/"))

    assert few == many


def oscar_revenue(html: str) -> tuple[str, str]:
    found = re.findall(r"Total revenue</th>\s*<td[^>]*>\s*([^<]*?)\s*</td>", html)
    return tuple(found)


def test_oscar_dashboard_revenue_is_money_collected(client, django_user_model):
    author = django_user_model.objects.create_superuser("author", "author@example.com", PASSWORD)
    client.force_login(author)
    tryout = plan_started("tryout", datetime(2026, 11, 24, 12, tzinfo=UTC))
    assert tryout.order.total_incl_tax > 0

    with time_machine.travel(datetime(2026, 11, 24, 15, tzinfo=UTC), tick=False):
        assert oscar_revenue(page(client, "/shop/dashboard/")) == ("$0.00", "$0.00")
        statistics = page(client, "/shop/dashboard/orders/statistics/")
        assert oscar_revenue(statistics) == ("$0.00",)

    paid(tryout, 1, datetime(2026, 12, 8, 12, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 12, 8, 15, tzinfo=UTC), tick=False):
        html = page(client, "/shop/dashboard/")
    assert oscar_revenue(html) == ("$98.50", "$98.50")
    assert oscar_revenue(page(client, "/shop/dashboard/orders/statistics/")) == ("$98.50",)
    # Orders placed in a week without orders collected nothing.
    quiet = "/shop/dashboard/orders/statistics/?date_from=2026-01-05&date_to=2026-01-11"
    assert oscar_revenue(page(client, quiet)) == ("$0.00",)


def test_a_long_chase_list_shows_the_most_recent_and_the_download_has_all(
    client, shop_manager, plans
):
    many_plans(150, "late")  # 50 payments refused, older than the known two
    client.force_login(shop_manager)

    html = page(client, "/cms/sales/")
    chase = exported(client, "/cms/sales/?table=chase&export=csv")

    assert "Payments to chase: 52" in html
    assert "the 50 most recent are shown here, all 52 are in the download" in html
    section = html[html.index('id="payments-to-chase"') :]
    assert section.count("<tr>") == 51  # the heading's row and 50
    assert "failed@example.com" in section and "waiting@example.com" in section
    assert len(chase) == 53
    assert f">{chase[-1][1]}<" not in section  # the oldest is in the download only


@pytest.mark.parametrize(
    ("query", "weeks"),
    [
        # From a date to this week.
        ("period_from=2026-11-11", "Monday November 9, 2026 to Sunday November 29, 2026"),
        # The 12 weeks ending with the week of a date.
        ("period_to=2026-10-07", "Monday July 20, 2026 to Sunday October 11, 2026"),
        # Dates given backwards are read the right way round.
        (
            "period_from=2026-11-20&period_to=2026-11-03",
            "Monday November 2, 2026 to Sunday November 22, 2026",
        ),
        # A date that is no date: the last 12 weeks.
        ("period_from=someday", "Monday September 7, 2026 to Sunday November 29, 2026"),
    ],
)
def test_the_weeks_a_report_covers(client, shop_manager, query, weeks):
    client.force_login(shop_manager)
    with time_machine.travel(NOW, tick=False):
        html = page(client, f"/cms/sales/?{query}")

    assert f"Weeks from {weeks}." in html


def test_a_chart_of_nothing_stands_on_its_axis_at_the_bottom():
    from shop.sales.charts import Bar, bar_chart

    bars = [Bar("Nov 23", 0, "0"), Bar("Nov 30", 0, "0")]
    svg = bar_chart(bars, title="Tryouts quit", desc="None", small=True)
    axis_y = float(re.search(r'class="sales-axis"[^>]*y1="([\d.]+)"', svg).group(1))
    values_y = [float(y) for y in re.findall(r'class="sales-value"[^>]*y="([\d.]+)"', svg)]
    # Every "0" is written just above the axis, and the axis is the plot's lowest line.
    assert all(axis_y - 12 < y < axis_y for y in values_y)
    assert axis_y > 180 / 2
