"""The author's actions on the dashboard order page: confirmed, logged, idempotent."""

from decimal import Decimal

import pytest
import stripe
import time_machine
from django.conf import settings
from django.core import mail
from oscar.core.loading import get_model

from shop.billing.charging import charge_installment
from shop.billing.models import InstallmentPlan, ScheduledCharge
from shop.downloads.models import DownloadGrant
from tests.shop.billing_helpers import day, succeeded_cents

PaymentEvent = get_model("order", "PaymentEvent")

pytestmark = pytest.mark.django_db

Status = ScheduledCharge.Status


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

    page = client.get(f"/shop/dashboard/orders/{plan.order.number}/").content.decode()
    url = f"/shop/accounts/program/staff/refund/{charge.pk}/"
    assert url in page and "Refund installment" in page
    confirm = client.get(url)
    assert confirm.status_code == 200 and 'value="98.50"' in confirm.content.decode()
    # A POST without the confirmation shows the page again and does nothing.
    assert client.post(url, {"amount": "98.50"}).status_code == 200

    too_much = client.post(url, {"amount": "120.00", "confirm": "yes"}, follow=True)
    assert "At most 98.50 USD of installment 1 can be refunded" in too_much.content.decode()
    charge.refresh_from_db()
    assert refunds_at_stripe(charge.payment_intent_id) == 0

    done = client.post(url, {"amount": "98.50", "confirm": "yes"}, follow=True)
    assert "Refunded 98.50 USD." in done.content.decode()
    again = client.post(url, {"amount": "98.50", "confirm": "yes"}, follow=True)
    assert "already fully refunded" in again.content.decode()
    assert refunds_at_stripe(charge.payment_intent_id) == 9850

    charge.refresh_from_db()
    plan.refresh_from_db()
    assert charge.status == Status.REFUNDED and plan.status == InstallmentPlan.Status.REFUNDED
    assert plan.order.status == "Refunded"
    assert plan.order.sources.get().amount_refunded == Decimal("98.50")
    assert PaymentEvent.objects.get(order=plan.order, event_type__name="Refunded").amount == (
        Decimal("98.50")
    )
    event = plan.events.get(kind="charge_refunded")
    assert event.actor == author and event.actor_label == "author"
    assert not DownloadGrant.objects.get(order=plan.order).is_active()


def test_only_staff_may_act(client, make_plan):
    plan = make_plan()
    client.force_login(plan.user)
    response = client.post(f"/shop/accounts/program/staff/cancel/{plan.pk}/", {"confirm": "yes"})
    assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.status == InstallmentPlan.Status.TRIALING


@time_machine.travel(day(15), tick=False)
def test_cancel_remaining_payments_and_retry_now(client, author, make_plan):
    plan = make_plan(card_number="4000000000000341")
    charge = plan.charges.get(sequence=1)
    charge_installment(charge_id=charge.pk, now=day(14))
    client.force_login(author)
    retry = f"/shop/accounts/program/staff/retry/{charge.pk}/"
    assert "Charge the saved card now" in client.get(retry).content.decode()
    response = client.post(retry, {"confirm": "yes"}, follow=True)
    assert "Retry: failed." in response.content.decode()
    charge.refresh_from_db()
    assert charge.attempts == 2
    assert plan.events.filter(kind="charge_attempted", actor=author).count() == 1

    cancel = f"/shop/accounts/program/staff/cancel/{plan.pk}/"
    assert "The download stays open until" in client.get(cancel).content.decode()
    mail.outbox.clear()
    response = client.post(cancel, {"confirm": "yes"}, follow=True)
    assert "Remaining payments cancelled." in response.content.decode()
    again = client.post(cancel, {"confirm": "yes"}, follow=True)
    assert "They were already cancelled." in again.content.decode()
    plan.refresh_from_db()
    assert plan.status == InstallmentPlan.Status.CANCELLED and plan.order.status == "Cancelled"
    assert set(plan.charges.values_list("status", flat=True)) == {Status.CANCELLED}
    assert plan.events.get(kind="payments_cancelled").actor == author
    assert succeeded_cents(plan) == 0
    response = client.post(retry, {"confirm": "yes"}, follow=True)
    assert "only a failed payment can be retried" in response.content.decode()
