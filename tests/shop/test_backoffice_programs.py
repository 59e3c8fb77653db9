"""Customers' programs in the back office (/cms/programs/): the author's actions on a plan,
confirmed, logged, idempotent, each behind its own permission."""

from decimal import Decimal

import pytest
import stripe
import time_machine
from django.conf import settings
from django.core import mail
from oscar.core.loading import get_model
from wagtail.models import ModelLogEntry

from shop.billing.charging import charge_installment
from shop.billing.models import ChargeStatus, PlanStatus
from shop.downloads.models import DownloadGrant
from tests.shop.billing_helpers import day, succeeded_cents

PaymentEvent = get_model("order", "PaymentEvent")

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(django_user_model):
    return django_user_model.objects.create_superuser(
        "author", "author@example.com", "a-long-pass-phrase"
    )


def refunds_at_stripe(payment_intent_id: str) -> int:
    client = stripe.StripeClient(
        "sk_test_standin", base_addresses={"api": settings.STRIPE_API_BASE}
    )
    refunds = client.v1.refunds.list(params={"limit": 100}).auto_paging_iter()
    return sum(r.amount for r in refunds if r.payment_intent == payment_intent_id)


def test_refund_from_the_dashboard_with_confirmation_once_and_not_too_much(
    client, author, make_plan
):
    plan = make_plan()
    charge = plan.charges.get(sequence=1)
    charge_installment(charge_id=charge.pk, now=day(14))
    client.force_login(author)

    page = client.get(f"/cms/programs/{plan.pk}/").content.decode()
    url = f"/cms/programs/refund/{charge.pk}/"
    assert url in page and "Refund payment" in page
    confirm = client.get(url)
    assert confirm.status_code == 200 and 'value="98.50"' in confirm.content.decode()
    # A POST without the confirmation shows the page again and does nothing.
    assert client.post(url, {"amount": "98.50"}).status_code == 200

    too_much = client.post(url, {"amount": "120.00", "confirm": "yes"}, follow=True)
    assert "At most 98.50 USD of payment 1 can be refunded" in too_much.content.decode()
    charge.refresh_from_db()
    assert refunds_at_stripe(charge.payment_intent_id) == 0

    done = client.post(url, {"amount": "98.50", "confirm": "yes"})
    # Back on the plan's page, with what happened in Wagtail's messages.
    assert done.status_code == 302 and done["Location"] == f"/cms/programs/{plan.pk}/"
    assert "Refunded 98.50 USD." in client.get(done["Location"]).content.decode()
    again = client.post(url, {"amount": "98.50", "confirm": "yes"}, follow=True)
    assert "already fully refunded" in again.content.decode()
    assert refunds_at_stripe(charge.payment_intent_id) == 9850
    # Once in the CMS's history, with who did it; the refused second try is not.
    logged = ModelLogEntry.objects.filter(action="billing.refund", object_id=str(plan.pk))
    assert [(entry.user, entry.data["message"]) for entry in logged] == [
        (author, "Refunded 98.50 USD.")
    ]
    history = client.get("/cms/reports/site-history/").content.decode()
    assert "Refund payment" in history and f"/cms/programs/{plan.pk}/" in history

    charge.refresh_from_db()
    plan.refresh_from_db()
    assert charge.status == ChargeStatus.REFUNDED and plan.status == PlanStatus.REFUNDED
    assert plan.order.status == "Refunded"
    assert plan.order.sources.get().amount_refunded == Decimal("98.50")
    assert PaymentEvent.objects.get(order=plan.order, event_type__name="Refunded").amount == (
        Decimal("98.50")
    )
    event = plan.events.get(kind="charge_refunded")
    assert event.actor == author and event.actor_label == "author"
    assert not DownloadGrant.objects.get(order=plan.order).is_active()


def test_a_customer_cannot_reach_the_actions(client, make_plan):
    plan = make_plan()
    client.force_login(plan.user)
    response = client.post(f"/cms/programs/cancel/{plan.pk}/", {"confirm": "yes"})
    # Without access to the back office: sent to its sign-in page, nothing done.
    assert response.status_code == 302 and response["Location"].startswith("/cms/login/")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.TRIALING


@time_machine.travel(day(15), tick=False)
def test_cancel_remaining_payments_and_retry_now(client, author, make_plan):
    plan = make_plan(card_number="4000000000000341")
    charge = plan.charges.get(sequence=1)
    charge_installment(charge_id=charge.pk, now=day(14))
    client.force_login(author)
    retry = f"/cms/programs/retry/{charge.pk}/"
    assert "Charge the saved card now" in client.get(retry).content.decode()
    response = client.post(retry, {"confirm": "yes"}, follow=True)
    assert "Retry: failed." in response.content.decode()
    charge.refresh_from_db()
    assert charge.attempts == 2
    assert plan.events.filter(kind="charge_attempted", actor=author).count() == 1

    cancel = f"/cms/programs/cancel/{plan.pk}/"
    assert "The download stays open until" in client.get(cancel).content.decode()
    mail.outbox.clear()
    response = client.post(cancel, {"confirm": "yes"}, follow=True)
    assert "Remaining payments cancelled." in response.content.decode()
    again = client.post(cancel, {"confirm": "yes"}, follow=True)
    assert "They were already cancelled." in again.content.decode()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CANCELLED and plan.order.status == "Cancelled"
    assert set(plan.charges.values_list("status", flat=True)) == {ChargeStatus.CANCELLED}
    assert plan.events.get(kind="payments_cancelled").actor == author
    assert succeeded_cents(plan) == 0
    response = client.post(retry, {"confirm": "yes"}, follow=True)
    assert "only a failed payment can be retried" in response.content.decode()


STAFF_ACTIONS = {
    "refund": "billing.refund_installment",
    "retry": "billing.retry_payment",
    "resend": "billing.resend_confirmation",
    "cancel": "billing.cancel_payments",
}


def staff_member(django_user_model, *permissions: str):
    """A back-office user who may see customers' programs and holds only the given billing
    permissions."""
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user(
        "helper", "helper@example.com", "a-long-pass-phrase", is_staff=True
    )
    for name in (
        "wagtailadmin.access_admin",
        "billing.view_installmentplan",
        *permissions,
    ):
        app_label, codename = name.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


def billing_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if "billing_" in q["sql"]]


def test_anonymous_visitors_cannot_tell_which_plans_exist(client, make_plan):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    plan = make_plan()
    charge = plan.charges.get(sequence=1)
    for action in STAFF_ACTIONS:
        real = charge.pk if action != "cancel" else plan.pk
        answers = []
        for pk in (real, 999_999):
            url = f"/cms/programs/{action}/{pk}/"
            with CaptureQueriesContext(connection) as queries:
                got, posted = client.get(url), client.post(url, {"confirm": "yes"})
            # Nothing about plans or payments is read before the visitor is known.
            assert billing_queries(queries.captured_queries) == []
            assert got.status_code == posted.status_code == 302
            assert got["Location"].startswith("/cms/login/")
            answers.append(got["Location"].split("?")[0])
        assert answers[0] == answers[1]
    plan.refresh_from_db()
    assert plan.status == PlanStatus.TRIALING


def test_staff_without_the_permission_get_403_whether_or_not_the_id_exists(
    client, django_user_model, make_plan
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    plan = make_plan()
    charge = plan.charges.get(sequence=1)
    charge_installment(charge_id=charge.pk, now=day(14))
    # Every permission but the one each action needs.
    for action, needed in STAFF_ACTIONS.items():
        django_user_model.objects.filter(username="helper").delete()
        others = [p for p in STAFF_ACTIONS.values() if p != needed]
        client.force_login(staff_member(django_user_model, *others))
        real = charge.pk if action != "cancel" else plan.pk
        for pk in (real, 999_999):
            url = f"/cms/programs/{action}/{pk}/"
            with CaptureQueriesContext(connection) as queries:
                got = client.get(url)
                posted = client.post(url, {"confirm": "yes", "amount": "98.50"})
            assert got.status_code == posted.status_code == 403, (action, pk)
            assert billing_queries(queries.captured_queries) == []
    charge.refresh_from_db()
    plan.refresh_from_db()
    assert charge.status == ChargeStatus.PAID and charge.refunded_cents == 0
    assert plan.status == PlanStatus.INSTALLMENT_PAID
    assert refunds_at_stripe(charge.payment_intent_id) == 0


def test_a_staff_member_allowed_to_refund_sees_and_uses_only_that_button(
    client, django_user_model, make_plan
):
    plan = make_plan()
    charge = plan.charges.get(sequence=1)
    charge_installment(charge_id=charge.pk, now=day(14))
    client.force_login(staff_member(django_user_model, STAFF_ACTIONS["refund"]))

    page = client.get(f"/cms/programs/{plan.pk}/").content.decode()
    assert f"/cms/programs/refund/{charge.pk}/" in page
    assert f"/cms/programs/cancel/{plan.pk}/" not in page
    assert "Cancel remaining payments" not in page

    cancel = client.post(f"/cms/programs/cancel/{plan.pk}/", {"confirm": "yes"})
    assert cancel.status_code == 403
    url = f"/cms/programs/refund/{charge.pk}/"
    done = client.post(url, {"amount": "10.00", "confirm": "yes"}, follow=True)
    assert "Refunded 10.00 USD." in done.content.decode()
    charge.refresh_from_db()
    assert charge.refunded_cents == 1000
    assert refunds_at_stripe(charge.payment_intent_id) == 1000


def test_the_plan_page_shows_no_action_buttons_to_staff_without_permissions(
    client, django_user_model, make_plan
):
    plan = make_plan()
    charge = plan.charges.get(sequence=1)
    charge_installment(charge_id=charge.pk, now=day(14))
    client.force_login(staff_member(django_user_model))
    page = client.get(f"/cms/programs/{plan.pk}/")
    assert page.status_code == 200 and 'id="plan-payments"' in page.content.decode()
    for action in STAFF_ACTIONS:
        assert f"/cms/programs/{action}/" not in page.content.decode()


def test_the_order_page_of_the_shop_links_to_the_program_and_acts_no_more(
    client, author, make_plan
):
    plan = make_plan()
    charge = plan.charges.get(sequence=1)
    charge_installment(charge_id=charge.pk, now=day(14))
    client.force_login(author)
    page = client.get(f"/shop/dashboard/orders/{plan.order.number}/").content.decode()
    assert f'href="/cms/programs/{plan.pk}/"' in page
    assert 'id="installment-charges"' in page and "Paid" in page
    assert "/cms/programs/refund/" not in page and "/staff/" not in page


def test_the_old_action_address_leads_to_the_back_office(client, author, make_plan):
    plan = make_plan()
    charge = plan.charges.get(sequence=1)
    client.force_login(author)
    old = client.get(f"/shop/accounts/program/staff/refund/{charge.pk}/")
    assert old.status_code == 302 and old["Location"] == f"/cms/programs/refund/{charge.pk}/"
    # Only a GET is forwarded: a POST to the old address does nothing.
    client.post(f"/shop/accounts/program/staff/cancel/{plan.pk}/", {"confirm": "yes"})
    plan.refresh_from_db()
    assert plan.status == PlanStatus.TRIALING


def test_the_local_admin_made_by_make_run_holds_every_plan_action(
    settings, django_user_model, tmp_path
):
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("create_local_admin", login_file=str(tmp_path / "admin-login.txt"))
    admin = django_user_model.objects.get(username="admin")
    assert admin.is_staff and all(admin.has_perm(p) for p in STAFF_ACTIONS.values())


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("Infinity", "Enter the amount to refund as a number, e.g. 98.50."),
        ("-Infinity", "Enter the amount to refund as a number, e.g. 98.50."),
        ("NaN", "Enter the amount to refund as a number, e.g. 98.50."),
        ("abc", "Enter the amount to refund as a number, e.g. 98.50."),
        ("", "Enter the amount to refund, e.g. 98.50."),
        ("1e400", "At most 98.50 USD of payment 1 can be refunded."),
        ("-1", "Enter an amount above zero."),
        ("0", "Enter an amount above zero."),
        ("0.001", "USD amounts have at most 2 decimals."),
        ("98.505", "USD amounts have at most 2 decimals."),
    ],
)
def test_a_refund_amount_that_is_not_a_sensible_sum_is_refused_and_nothing_changes(
    client, author, make_plan, amount, message
):
    plan = make_plan()
    charge = plan.charges.get(sequence=1)
    charge_installment(charge_id=charge.pk, now=day(14))
    events = plan.events.count()
    client.force_login(author)
    url = f"/cms/programs/refund/{charge.pk}/"

    response = client.post(url, {"amount": amount, "confirm": "yes"})

    assert response.status_code == 400
    assert message in response.content.decode()
    charge.refresh_from_db()
    plan.refresh_from_db()
    assert charge.status == ChargeStatus.PAID and charge.refunded_cents == 0
    assert plan.status == PlanStatus.INSTALLMENT_PAID
    assert plan.events.count() == events
    assert refunds_at_stripe(charge.payment_intent_id) == 0
    assert plan.order.sources.get().amount_refunded == Decimal("0.00")


def test_a_yen_installment_is_refunded_in_whole_yen(
    client, author, billing_standin, billing_reader
):
    from tests.shop.factories import ProgramFactory, plan_for_tests

    product = ProgramFactory(installment_amount=Decimal("9850"), currency="JPY")
    plan = plan_for_tests(user=billing_reader, product=product, start=day(0))
    charge = plan.charges.get(sequence=1)
    charge_installment(charge_id=charge.pk, now=day(14))
    charge.refresh_from_db()
    client.force_login(author)
    url = f"/cms/programs/refund/{charge.pk}/"
    page = client.get(url).content.decode()
    assert 'value="9850"' in page and 'step="1"' in page

    refused = client.post(url, {"amount": "98.50", "confirm": "yes"})
    assert "JPY has no smaller unit than 1" in refused.content.decode()
    done = client.post(url, {"amount": "1000", "confirm": "yes"}, follow=True)
    assert "Refunded 1000 JPY." in done.content.decode()
    assert refunds_at_stripe(charge.payment_intent_id) == 1000


def test_resending_for_an_installment_that_waits_for_no_confirmation_is_explained_and_refused(
    client, author, make_plan
):
    plan = make_plan()
    charge = plan.charges.get(sequence=1)
    client.force_login(author)
    resend = f"/cms/programs/resend/{charge.pk}/"
    page = client.get(resend)
    assert page.status_code == 200
    assert "Payment 1 does not wait for a confirmation." in page.content.decode()
    response = client.post(resend, {"confirm": "yes"}, follow=True)
    assert "it does not wait for the customer" in response.content.decode()
    assert not plan.events.filter(kind="confirmation_email_resent").exists()
