"""A signed-in customer reads their own installment plans, and nobody else's."""

from datetime import timedelta

import pytest
from django.utils import timezone
from oscar.test.factories import create_order

from shop.billing.models import InstallmentPlan, ScheduledCharge
from tests.shop.factories import ProgramFactory

pytestmark = pytest.mark.django_db


def plan_for(user, product, *, key: str) -> InstallmentPlan:
    start = timezone.now()
    plan = InstallmentPlan.objects.create(
        order=create_order(user=user),
        user=user,
        product=product,
        trial_started_at=start,
        trial_ends_at=start + timedelta(days=14),
        currency="USD",
        installment_amount_cents=9850,
        installment_count=2,
        interval_days=28,
        total_cents=19700,
        stripe_customer_id=f"cus_{key}",
        stripe_payment_method_id=f"pm_{key}",
        stripe_setup_intent_id=f"seti_{key}",
    )
    for sequence in (1, 2):
        ScheduledCharge.objects.create(
            plan=plan,
            sequence=sequence,
            due_at=start + timedelta(days=14 + 28 * (sequence - 1)),
            amount_cents=9850,
            currency="USD",
        )
    return plan


def test_anonymous_readers_are_refused_with_a_message(client):
    response = client.get("/api/account/plans/")
    assert response.status_code == 403
    assert response.json()["message"]


def test_customer_sees_only_their_own_plans_uncached(client, django_user_model):
    product = ProgramFactory()
    reader = django_user_model.objects.create_user("reader", "reader@example.com", "pw")
    other = django_user_model.objects.create_user("other", "other@example.com", "pw")
    mine = plan_for(reader, product, key="mine")
    plan_for(other, product, key="theirs")
    client.force_login(reader)
    response = client.get("/api/account/plans/")
    assert response.status_code == 200
    data = response.json()
    assert [item["id"] for item in data["items"]] == [mine.pk]
    item = data["items"][0]
    assert item["order_number"] == str(mine.order.number)
    assert item["status"] == "trialing" and item["in_trial"] is True
    assert item["installment_amount"] == "98.50" and item["total"] == "197.00"
    assert [charge["sequence"] for charge in item["charges"]] == [1, 2]
    assert item["manage_url"].startswith("http://testserver/shop/accounts/program/")
    cache_control = response["Cache-Control"]
    assert "no-store" in cache_control and "private" in cache_control
    assert "public" not in cache_control
