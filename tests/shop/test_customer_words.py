"""What customers read about their tryout and payments (issue 20): one vocabulary (tryout,
payment), one date format ("December 13, 2026"), what is due today and what later, quitting
with one press, and what cancelling means after a payment did not go through. On the
in-process fake gateway."""

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.template import Context, Template

from shop.billing.access import plan_access_ends_at
from shop.billing.models import PlanStatus
from shop.checkout.mixins import OrderPlacementMixin
from tests.shop.billing_helpers import day
from tests.support.fake_gateway import CARD_AUTHENTICATION, CARD_DECLINED_WHEN_CHARGED
from web.dates import long_date, long_datetime

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
# Words the seed does not use with customers.
OTHER_WORDS = re.compile(r"\b(Trialing|Trial quit|[Ii]nstallments?)\b")


def test_dates_read_in_full_with_the_year_in_code_and_in_templates():
    at = datetime(2026, 11, 29, 18, 51, tzinfo=UTC)
    assert long_date(at) == "November 29, 2026"
    assert long_date(date(2026, 12, 13)) == "December 13, 2026"
    assert long_datetime(at) == "November 29, 2026, 6:51 p.m."
    shown = Template("{{ at }}|{{ at|date }}|{{ at|date:'DATE_FORMAT' }}").render(
        Context({"at": at})
    )
    assert shown == "November 29, 2026, 6:51 p.m.|November 29, 2026|November 29, 2026"


# Machine-readable dates, the site's two formats, a time shown beside a full date, and a
# month (a testimonial's).
ALLOWED_FORMATS = {"c", "Y-m-d", "DATE_FORMAT", "DATETIME_FORMAT", "G:i", "F Y"}


def test_no_page_or_email_writes_a_date_format_of_its_own():
    """Dates are shown with DATE_FORMAT (web/formats), so none can lose its year again."""
    own = []
    for template in (ROOT / "site" / "templates").rglob("*"):
        if template.suffix not in {".html", ".txt"}:
            continue
        for fmt in re.findall(r"""\|date:["']([^"']*)["']""", template.read_text()):
            if fmt not in ALLOWED_FORMATS:
                own.append(f"{template.relative_to(ROOT)}: {fmt}")
    # The sales charts' axes name each week as "Nov 30": the report's heading and the
    # tables beside the charts give the whole dates, years and all.
    chart_axes = ROOT / "shop" / "sales" / "charts.py"
    for module in (ROOT / "shop").rglob("*.py"):
        if module == chart_axes:
            continue
        if "migrations" not in module.parts and re.search(r"%[Bb]\b", module.read_text()):
            own.append(str(module.relative_to(ROOT)))
    assert own == []


def test_the_reminder_and_the_quit_message_give_the_date_with_its_year(
    make_fake_plan, run_at, client
):
    plan = make_fake_plan()
    mail.outbox.clear()
    run_at(7)
    assert "Your free tryout ends on December 8, 2026:" in mail.outbox[-1].subject
    client.force_login(plan.user)
    with time_machine.travel(day(8), tick=False):
        page = client.post(
            f"/shop/accounts/program/{plan.pk}/quit/", {"confirm": "yes"}, follow=True
        )
    assert "You can keep downloading until December 8, 2026." in page.content.decode()


def test_customers_read_tryout_and_payment_on_their_pages_and_emails(
    make_fake_plan, run_at, client
):
    plan = make_fake_plan()
    client.force_login(plan.user)
    with time_machine.travel(day(1), tick=False):
        program = client.get("/shop/accounts/program/").content.decode()
        order = client.get(f"/shop/accounts/orders/{plan.order.number}/").content.decode()
        orders = client.get("/shop/accounts/orders/").content.decode()
    assert "Status: <strong>Free tryout</strong>" in program
    assert "Free tryout" in order
    # The full date, the time beside it.
    assert long_datetime(plan.order.date_placed) in orders
    assert re.search(r"\b[A-Z][a-z]{2}\. \d", orders) is None
    run_at(14)
    plan.refresh_from_db()
    assert plan.order.status == "Payments under way"
    with time_machine.travel(day(15), tick=False):
        program = client.get("/shop/accounts/program/").content.decode()
    assert "Status: <strong>Payments under way</strong>" in program
    bodies = [program, order, orders] + [m.subject + m.body for m in mail.outbox]
    found = [hit for text in bodies for hit in OTHER_WORDS.findall(text)]
    assert found == []


def test_choosing_the_tryout_says_nothing_is_due_today_and_what_comes_later(
    billing_program, billing_reader, client
):
    client.force_login(billing_reader)
    added = client.post(
        f"/shop/basket/add/{billing_program.pk}/", {"quantity": 1}, follow=True
    ).content.decode()
    assert "total is now" not in added
    assert "$0.00 today" in added
    assert "then 2 payments of $98.50" in added
    assert "$197.00 in total" in added


def test_order_history_shows_what_was_paid_and_what_is_due_later(make_fake_plan, run_at, client):
    plan = make_fake_plan()
    client.force_login(plan.user)
    orders = client.get("/shop/accounts/orders/").content.decode()
    row = orders[orders.index(str(plan.order.number)) :]
    row = row[: row.index("</tr>")]
    assert "$0.00 paid" in row and "$197.00 due later" in row
    run_at(14)
    orders = client.get("/shop/accounts/orders/").content.decode()
    row = orders[orders.index(str(plan.order.number)) :]
    row = row[: row.index("</tr>")]
    assert "$98.50 paid" in row and "$98.50 due later" in row
    detail = client.get(f"/shop/accounts/orders/{plan.order.number}/").content.decode()
    assert "Paid so far" in detail and "Due later" in detail


def quit_form(page: str, plan) -> str:
    """The form that quits the plan's tryout, as the page shows it."""
    action = f'action="/shop/accounts/program/{plan.pk}/quit/"'
    assert action in page, page
    start = page.rindex("<form", 0, page.index(action))
    return page[start : page.index("</form>", start)]


def test_the_thank_you_page_quits_with_one_press_after_its_confirmation(make_fake_plan, client):
    plan = make_fake_plan()
    client.force_login(plan.user)
    session = client.session
    session["checkout_order_id"] = plan.order.pk
    session.save()
    with time_machine.travel(day(0, 1), tick=False):
        page = client.get("/shop/checkout/thank-you/").content.decode()
    form = quit_form(page, plan)
    assert 'method="post"' in form and "Quit 2-Week Tryout" in form
    assert "<dialog" in form and 'name="confirm" value="yes"' in form

    # Without JavaScript the press asks on a page of its own; nothing is quit yet.
    with time_machine.travel(day(0, 2), tick=False):
        asked = client.post(f"/shop/accounts/program/{plan.pk}/quit/")
    assert asked.status_code == 200
    assert 'name="confirm" value="yes"' in asked.content.decode()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.TRIALING

    with time_machine.travel(day(0, 3), tick=False):
        done = client.post(
            f"/shop/accounts/program/{plan.pk}/quit/", {"confirm": "yes"}, follow=True
        )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.TRIAL_QUIT
    assert "You have quit the free tryout" in done.content.decode()


def test_my_program_quits_from_its_own_page(make_fake_plan, client):
    plan = make_fake_plan()
    client.force_login(plan.user)
    with time_machine.travel(day(1), tick=False):
        page = client.get("/shop/accounts/program/").content.decode()
    form = quit_form(page, plan)
    assert "<dialog" in form and 'name="confirm" value="yes"' in form


def test_the_order_email_quit_link_lands_on_a_page_whose_one_button_quits(make_fake_plan, client):
    plan = make_fake_plan()
    mail.outbox.clear()
    OrderPlacementMixin().send_order_placed_email(plan.order)
    receipt = mail.outbox[-1]
    assert (
        'href="http' in receipt.alternatives[0][0]
        and "/shop/accounts/program/quit/" in (receipt.alternatives[0][0])
    )
    link = re.search(r"https?://\S+/shop/accounts/program/quit/\S+/", receipt.body)
    assert link, receipt.body
    path = link.group(0)[link.group(0).index("/shop/") :]
    with time_machine.travel(day(1), tick=False):
        page = client.get(path).content.decode()
        form = page[page.index('id="quit-link-form"') :]
        form = form[: form.index("</form>")]
        assert form.count("<button") == 1 and "Quit 2-Week Tryout" in form
        client.post(path)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.TRIAL_QUIT


def test_after_a_failed_payment_the_page_says_when_access_ends_and_that_we_retry(
    make_fake_plan, run_at, client
):
    plan = make_fake_plan(card_number=CARD_DECLINED_WHEN_CHARGED)
    run_at(14)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PAYMENT_FAILED
    first = plan.charges.get(sequence=1)
    access_end = long_date(plan_access_ends_at(plan))
    failed_mail = mail.outbox[-1]
    assert f"We will try again on {long_date(first.next_attempt_at)}." in failed_mail.body
    assert f"Your download stays open until {access_end}" in failed_mail.body
    client.force_login(plan.user)
    with time_machine.travel(day(15), tick=False):
        page = client.get("/shop/accounts/program/").content.decode()
    text = re.sub(r"<[^>]+>", "", page)
    text = re.sub(r"\s+", " ", text)
    assert f"We try again by ourselves on {long_date(first.next_attempt_at)}" in text
    assert f"your download stays open until {access_end}" in text
    # Cancelling ends the download now: no promise of a day already past.
    assert "download stays open until December 8, 2026" not in text
    assert "download stays open until December 9, 2026" not in text
    assert "If you cancel the remaining payments, nothing more is charged and your " in text
    assert "download ends now" in text


def test_while_a_payment_waits_for_the_bank_cancelling_promises_no_day_already_past(
    make_fake_plan, run_at, client
):
    plan = make_fake_plan(card_number=CARD_AUTHENTICATION)
    run_at(14)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CONFIRMATION_NEEDED
    client.force_login(plan.user)
    with time_machine.travel(day(15), tick=False):
        page = client.get("/shop/accounts/program/").content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))
    assert "download stays open until December 9, 2026" not in text
    assert "download ends now" in text


def test_cancelling_after_a_failed_payment_says_the_download_ends_now(
    make_fake_plan, run_at, client, django_capture_on_commit_callbacks
):
    plan = make_fake_plan(card_number=CARD_DECLINED_WHEN_CHARGED)
    run_at(14)
    client.force_login(plan.user)
    mail.outbox.clear()
    with (
        time_machine.travel(day(15), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        page = client.post(f"/shop/accounts/program/{plan.pk}/cancel/", follow=True)
    text = page.content.decode()
    assert "Your remaining payments are cancelled; nothing more will be charged." in text
    assert "keep downloading until" not in text
    assert "Your download has ended" in text
    assert "keep downloading" not in mail.outbox[-1].body
    assert "The download has ended" in mail.outbox[-1].body


def test_the_basket_says_what_is_due_today_under_the_programs_total(
    billing_program, billing_reader, client
):
    client.force_login(billing_reader)
    client.post(f"/shop/basket/add/{billing_program.pk}/", {"quantity": 1})
    client.get("/shop/basket/")
    page = client.get("/shop/basket/").content.decode()
    totals = page[page.index('id="basket_totals"') :]
    totals = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", totals[: totals.index("</table>")]))
    assert "Due today $0.00" in totals
    assert "Then 2 payments of $98.50, every 4 weeks, unless you quit during the tryout" in totals


def test_who_already_had_the_tryout_reads_the_first_payment_as_due_today(
    make_fake_plan, billing_program, client
):
    plan = make_fake_plan()
    client.force_login(plan.user)
    added = client.post(
        f"/shop/basket/add/{billing_program.pk}/", {"quantity": 1}, follow=True
    ).content.decode()
    assert "without the free tryout you already had" in added
    assert "$98.50 today</strong>, then 1 payment of $98.50" in added
    assert "$0.00 today" not in added
    page = client.get("/shop/basket/").content.decode()
    totals = page[page.index('id="basket_totals"') :]
    totals = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", totals[: totals.index("</table>")]))
    assert "Due today $98.50" in totals and "Then 1 payment of $98.50, every 4 weeks." in totals


def test_orders_placed_before_keep_their_place_in_the_pipeline_under_the_new_words():
    """The migration renames the statuses written before, on orders, lines and history."""
    from importlib import import_module

    from django.apps import apps
    from oscar.core.loading import get_model

    from tests.shop.factories import OrderFactory

    migration = import_module("shop.billing.migrations.0010_customer_words_for_statuses")
    # As the first payment left an order before: the pipeline then named these statuses.
    order = OrderFactory(status="Installment 1 paid")
    order.lines.update(status="Trialing")
    StatusChange = get_model("order", "OrderStatusChange")
    StatusChange.objects.create(order=order, old_status="Trialing", new_status="Installment 1 paid")
    migration.statuses_in_customer_words(apps, None)
    order.refresh_from_db()
    assert order.status == "Payments under way"
    assert set(order.lines.values_list("status", flat=True)) == {"Free tryout"}
    change = StatusChange.objects.get(order=order)
    assert (change.old_status, change.new_status) == ("Free tryout", "Payments under way")
    migration.statuses_as_before(apps, None)
    order.refresh_from_db()
    assert order.status == "Installment 1 paid"


def test_every_plan_status_is_an_order_status_in_the_same_words():
    from shop.billing.transitions import ORDER_STATUS_FOR_PLAN

    pipeline = settings.OSCAR_ORDER_STATUS_PIPELINE
    assert set(ORDER_STATUS_FOR_PLAN.values()) <= set(pipeline)
    assert PlanStatus.TRIALING.label == settings.OSCAR_INITIAL_ORDER_STATUS
