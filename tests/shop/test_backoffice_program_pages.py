"""Customers' programs in the back office: the listing (search, filters, export) and each
plan's page, read in a number of queries that does not grow with the plans, payments,
emails or downloads shown. Plans are written straight in the database: no Stripe here."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shop.billing.models import ChargeStatus, OutgoingEmail, PlanStatus, TrialConsent
from shop.billing.services import SavedCard
from shop.downloads.models import DownloadGrant, DownloadKind, DownloadLog
from tests.shop.bulk_plans import plans_in_bulk
from tests.shop.factories import InstallmentPlanFactory, ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db

LISTING = "/cms/programs/"
CARD = SavedCard(
    customer_id="cus_bulk",
    payment_method_id="pm_bulk",
    setup_intent_id="seti_bulk",
    fingerprint="fp_bulk",
    brand="visa",
    last4="4242",
)


@pytest.fixture
def author(django_user_model):
    return django_user_model.objects.create_superuser(
        "author", "author@example.com", "a-long-pass-phrase"
    )


@pytest.fixture
def program(db):
    return ProgramFactory()


def a_plan(program, **kwargs):
    user = kwargs.pop("user", None) or UserFactory()
    return InstallmentPlanFactory(user=user, product=program, with_installments=True, **kwargs)


def listed(client, query: str = "") -> str:
    response = client.get(LISTING + query)
    assert response.status_code == 200
    return response.content.decode()


def test_the_listing_shows_customer_order_status_money_and_next_payment(client, author, program):
    plan = a_plan(
        program,
        user=UserFactory(first_name="Robin", last_name="Reader", email="robin@example.com"),
        status=PlanStatus.INSTALLMENT_PAID,
    )
    first = plan.charges.get(sequence=1)
    first.status, first.paid_at = ChargeStatus.PAID, timezone.now()
    first.save()
    client.force_login(author)
    page = listed(client)
    assert "Robin Reader" in page and "robin@example.com" in page
    assert str(plan.order.number) in page and "Payments under way" in page
    assert "$98.50 of $197.00" in page
    assert f'href="/cms/programs/{plan.pk}/"' in page
    # Read-only: nothing to add, edit or delete.
    assert "/cms/programs/new/" not in page and "/edit/" not in page and "/delete/" not in page
    assert client.get("/cms/programs/new/").status_code == 404
    for column in ("user__last_name", "user__email", "order__number", "status"):
        for ordering in (column, f"-{column}"):
            assert str(plan.order.number) in listed(client, f"?ordering={ordering}"), ordering
    for column in ("trial_started_at", "paid_cents", "next_due_at"):
        assert str(plan.order.number) in listed(client, f"?ordering=-{column}"), column


def test_paid_so_far_leaves_out_what_was_refunded(client, author, program):
    plan = a_plan(program, status=PlanStatus.INSTALLMENT_PAID)
    plan.charges.filter(sequence=1).update(
        status=ChargeStatus.PAID, paid_at=timezone.now(), refunded_cents=1000
    )
    client.force_login(author)
    assert "$88.50 of $197.00" in listed(client)


def test_a_plan_is_found_by_email_name_or_order_number(client, author, program):
    robin = a_plan(program, user=UserFactory(email="robin@example.com", last_name="Wood"))
    sam = a_plan(program, user=UserFactory(email="sam@example.org", last_name="Stone"))
    client.force_login(author)
    for query, found, hidden in (
        ("?q=robin@example", robin, sam),
        ("?q=stone", sam, robin),
        (f"?q={robin.order.number}", robin, sam),
    ):
        page = listed(client, query)
        assert f"/cms/programs/{found.pk}/" in page, query
        assert f"/cms/programs/{hidden.pk}/" not in page, query


def test_the_filters_status_tryout_and_start(client, author, program):
    now = timezone.now()
    trialing = a_plan(program, started=timedelta(days=2))
    cancelled = a_plan(program, status=PlanStatus.CANCELLED, started=timedelta(days=40))
    bought = a_plan(program, with_trial=False, status=PlanStatus.INSTALLMENT_PAID)
    client.force_login(author)

    def shown(query):
        page = listed(client, query)
        return {plan for plan in (trialing, cancelled, bought) if f"/programs/{plan.pk}/" in page}

    assert shown("?status=cancelled") == {cancelled}
    assert shown("?with_trial=false") == {bought}
    assert shown("?with_trial=true") == {trialing, cancelled}
    since = (now - timedelta(days=10)).date().isoformat()
    assert shown(f"?started_from={since}") == {trialing, bought}
    until = (now - timedelta(days=30)).date().isoformat()
    assert shown(f"?started_to={until}") == {cancelled}


def test_the_listing_exports_as_csv_with_amounts_not_cents(client, author, program):
    plan = a_plan(program, user=UserFactory(email="robin@example.com"))
    client.force_login(author)
    response = client.get(LISTING + "?export=csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1
    row = rows[0]
    assert row["Order"] == str(plan.order.number) and row["Email"] == "robin@example.com"
    assert row["Status"] == "Free tryout" and row["Total"] == "197.00"
    assert row["Paid so far"] == "0.00"
    spreadsheet = client.get(LISTING + "?export=xlsx")
    assert spreadsheet.status_code == 200
    assert spreadsheet["Content-Type"].startswith("application/vnd.openxmlformats")
    assert b"".join(spreadsheet.streaming_content).startswith(b"PK")  # a whole workbook


def test_the_listing_reads_as_many_queries_for_ten_plans_as_for_one(client, author, program):
    client.force_login(author)
    start = timezone.now() - timedelta(days=3)
    plans_in_bulk(product=program, card=CARD, start=start, count=1, prefix="one")
    listed(client)  # the session and permissions, read once
    with CaptureQueriesContext(connection) as one:
        listed(client)
    plans_in_bulk(product=program, card=CARD, start=start, count=9, prefix="more")
    with CaptureQueriesContext(connection) as ten:
        page = listed(client)
    assert page.count('href="/cms/programs/') >= 10
    assert len(ten) == len(one), [q["sql"] for q in ten.captured_queries]


def everything_for(plan, *, emails: int, downloads: int):
    """The consent, grant, emails and downloads a plan's page shows."""
    TrialConsent.objects.create(
        order=plan.order,
        text="I agree to a free 14-day tryout, then 2 payments of $98.50.",
        accepted_at=plan.trial_started_at,
        ip_address="203.0.113.7",
        user_agent="Firefox on Linux",
        country="FR",
        immediate_access_requested=True,
        immediate_access_text="Start my program now.",
    )
    grant = DownloadGrant.objects.create(
        user=plan.user, product=plan.product, order=plan.order, starts_at=plan.trial_started_at
    )
    for n in range(emails):
        OutgoingEmail.objects.create(
            order=plan.order,
            plan=plan,
            code=f"CODE_{n}",
            key=f"key-{n}",
            created_at=timezone.now(),
            last_error="SMTPServerDisconnected" if n == 0 else "",
        )
    for n in range(downloads):
        DownloadLog.objects.create(
            user=plan.user,
            product=plan.product,
            grant=grant,
            file_title=f"Session {n + 1}",
            kind=DownloadKind.PLAY if n % 2 else DownloadKind.DOWNLOAD,
            ip_address="198.51.100.4",
        )


def test_the_plan_page_shows_payments_consent_access_emails_downloads_and_events(
    client, author, program
):
    plan = a_plan(program, user=UserFactory(email="robin@example.com"))
    plan.charges.filter(sequence=1).update(
        status=ChargeStatus.FAILED, attempts=2, payment_intent_id="pi_failed_one"
    )
    plan.events.create(kind="trial_started", actor_label="customer", note="from checkout")
    everything_for(plan, emails=1, downloads=3)
    client.force_login(author)

    page = client.get(f"/cms/programs/{plan.pk}/").content.decode()

    assert str(plan.order.number) in page and "robin@example.com" in page
    assert "Failed" in page
    assert "pi_failed_one" in page and "1 of 2" in page and "2 of 2" in page
    assert f"/cms/programs/retry/{plan.charges.get(sequence=1).pk}/" in page
    assert "I agree to a free 14-day tryout" in page and "203.0.113.7" in page
    assert "Firefox on Linux" in page and "FR" in page and "Start my program now." in page
    assert 'id="plan-access"' in page and "open" in page
    assert "CODE_0" in page and "SMTPServerDisconnected" in page
    assert "Session 1" in page and "Session 3" in page and "Play" in page
    assert "trial_started" in page and "from checkout" in page


def test_the_plan_page_shows_the_newest_fifty_downloads(client, author, program):
    plan = a_plan(program)
    everything_for(plan, emails=0, downloads=55)
    client.force_login(author)
    page = client.get(f"/cms/programs/{plan.pk}/").content.decode()
    assert "Session 55<" in page and "Session 6<" in page
    assert "Session 5<" not in page


def test_the_plan_page_reads_as_many_queries_for_many_payments_emails_and_downloads(
    client, author, program
):
    small = a_plan(program, installment_count=1)
    everything_for(small, emails=1, downloads=1)
    large = a_plan(program, installment_count=6)
    everything_for(large, emails=5, downloads=20)
    large.charges.filter(sequence__lte=3).update(status=ChargeStatus.PAID, paid_at=timezone.now())
    for n in range(4):
        large.events.create(kind=f"event_{n}", actor_label="system")
    client.force_login(author)
    client.get(f"/cms/programs/{small.pk}/")  # the session and permissions, read once

    counts = []
    for plan in (small, large):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/cms/programs/{plan.pk}/")
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_back_office_user_without_the_view_permission_sees_no_programs(
    client, django_user_model, program
):
    from django.contrib.auth.models import Permission

    plan = a_plan(program)
    editor = django_user_model.objects.create_user("editor", "editor@example.com", "pw-long-1")
    editor.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    client.force_login(editor)
    for url in (LISTING, f"/cms/programs/{plan.pk}/"):
        response = client.get(url)
        # Wagtail's answer to a page one may not see: back to the dashboard with a message.
        assert response.status_code == 302 and response["Location"] == "/cms/"
    assert "Customers' programs" not in client.get("/cms/").content.decode()


def test_the_group_editor_offers_seeing_programs_and_the_actions_never_editing_rows():
    from django.urls import reverse
    from wagtail.admin.viewsets import viewsets

    reverse("programs:index")  # the admin's URLs register its viewsets
    offered = {
        viewset.name: {p.codename for p in viewset.get_permissions_to_register()}
        for viewset in viewsets.viewsets
        if getattr(viewset, "name", None) in ("programs", "emails_sent", "plan_emails")
    }
    assert {
        "view_installmentplan",
        "refund_installment",
        "cancel_payments",
        "retry_payment",
        "resend_confirmation",
    } <= offered["programs"]
    assert (
        not {"add_installmentplan", "change_installmentplan", "delete_installmentplan"}
        & (offered["programs"])
    )
    assert offered["emails_sent"] == {"view_outgoingemail"}
    assert offered["plan_emails"] == {"change_communicationeventtype"}


def test_an_action_that_does_not_exist_is_not_found(client, author, program):
    plan = a_plan(program)
    client.force_login(author)
    assert client.get(f"/cms/programs/delete/{plan.pk}/").status_code == 404
    assert client.post("/cms/programs/cancel/999999/", {"confirm": "yes"}).status_code == 404


def test_a_shop_manager_finds_programs_emails_under_shop_and_an_editor_none(
    client, shop_manager, editor, program
):
    from tests.shop.test_back_office_roles import menu_names

    plan = a_plan(program, status=PlanStatus.INSTALLMENT_PAID)
    pages = ("/cms/programs/", f"/cms/programs/{plan.pk}/", "/cms/emails-sent/")
    plan_emails = "/cms/plan-emails/"
    client.force_login(shop_manager)
    names = menu_names(client)
    for entry in ("customers-programs", "emails-sent", "plan-emails"):
        assert names.index(entry) > names.index("shop"), entry
    for url in (*pages, plan_emails):
        assert client.get(url).status_code == 200, url
    cancel = client.get(f"/cms/programs/cancel/{plan.pk}/")
    assert cancel.status_code == 200 and "Cancel the remaining payments" in cancel.content.decode()

    client.force_login(editor)
    names = menu_names(client)
    assert not {"shop", "customers-programs", "emails-sent", "plan-emails"} & set(names)
    for url in (*pages, plan_emails):
        assert client.get(url).status_code == 302, url
    assert client.get(f"/cms/programs/cancel/{plan.pk}/").status_code == 403


def test_the_cms_search_offers_the_programs_to_who_may_see_them(client, admin_user, editor):
    # The sidebar's search is the pages' search: the author has it, an editor too.
    client.force_login(admin_user)
    found = client.get("/cms/pages/search/", {"q": "reader@example.com"}).content.decode()
    assert 'href="/cms/programs/?q=reader%40example.com"' in found
    client.force_login(editor)
    searched = client.get("/cms/pages/search/", {"q": "reader@example.com"})
    assert searched.status_code == 200
    assert 'href="/cms/images/?q=reader%40example.com"' in searched.content.decode()
    assert "/cms/programs/" not in searched.content.decode()
