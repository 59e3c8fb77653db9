"""The customer's account pages cost the same number of queries for 1 order as for 50."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shop.billing.access import grant_sync
from shop.billing.models import ChargeStatus, InstallmentPlan, PlanStatus
from shop.billing.services import SavedCard
from tests.shop.bulk_plans import plans_in_bulk
from tests.shop.download_factories import program_file_create
from tests.shop.factories import ProgramFactory

# Pages only read the plans: a card that exists nowhere does.
CARD = SavedCard(
    customer_id="cus_pages",
    payment_method_id="pm_pages",
    setup_intent_id="seti_pages",
    fingerprint="fp_pages",
    brand="visa",
    last4="4242",
)

# Every state a plan can be in, so each branch of the pages is drawn for 50 plans.
STATES = [
    PlanStatus.TRIALING,
    PlanStatus.INSTALLMENT_PAID,
    PlanStatus.PAYMENT_FAILED,
    PlanStatus.CONFIRMATION_NEEDED,
    PlanStatus.TRIAL_QUIT,
    PlanStatus.CANCELLED,
    PlanStatus.PAID_IN_FULL,
    PlanStatus.REFUNDED,
]


def _in_state(plan: InstallmentPlan, status: str, now) -> None:
    """Put a plan and its installments where the billing rules would have left them."""
    charges = plan.charges.order_by("sequence")
    first, second = charges[0], charges[1]
    plan.status = status
    if status in (PlanStatus.INSTALLMENT_PAID, PlanStatus.PAID_IN_FULL, PlanStatus.REFUNDED):
        first.status = ChargeStatus.PAID if status != PlanStatus.REFUNDED else ChargeStatus.REFUNDED
        first.payment_intent_id = f"pi_first_{plan.pk}"
    if status == PlanStatus.PAID_IN_FULL:
        second.status = ChargeStatus.PAID
        second.payment_intent_id = f"pi_second_{plan.pk}"
    if status == PlanStatus.PAYMENT_FAILED:
        first.status = ChargeStatus.FAILED
        first.next_attempt_at = now + timedelta(days=1)
    if status == PlanStatus.CONFIRMATION_NEEDED:
        first.status = ChargeStatus.AWAITING_CONFIRMATION
        first.payment_intent_id = f"pi_waiting_{plan.pk}"
        first.confirm_by = now + timedelta(days=5)
    if status in (PlanStatus.TRIAL_QUIT, PlanStatus.REFUNDED):
        second.status = ChargeStatus.CANCELLED
    if status == PlanStatus.CANCELLED:
        first.status = ChargeStatus.PAID
        first.payment_intent_id = f"pi_first_{plan.pk}"
        second.status = ChargeStatus.CANCELLED
        plan.access_ends_at = now + timedelta(days=10)
    plan.save()
    first.save()
    second.save()
    grant_sync(plan)


@pytest.fixture
def customer(django_user_model):
    return django_user_model.objects.create_user(
        "many-orders", "many@example.com", "a-long-pass-phrase"
    )


@pytest.fixture
def customer_with(customer):
    """The customer with ``count`` orders of the program, in every state in turn."""

    def make(count: int):
        product = ProgramFactory()
        program_file_create(product=product, title="The book")
        program_file_create(product=product, title="Session 1", name="session-1.mp3")
        now = timezone.now()
        bulk = plans_in_bulk(
            product=product,
            card=CARD,
            start=now - timedelta(days=20),
            users=[customer] * count,
            prefix=f"pages-{count}",
        )
        for n, plan in enumerate(bulk.plans):
            _in_state(plan, STATES[n % len(STATES)], now)
        return customer

    return make


def _queries(client, url: str) -> tuple[int, str]:
    client.get(url)  # the first visit makes the basket: not what is measured
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


@pytest.mark.django_db
def test_my_program_costs_the_same_for_1_and_50_plans(client, customer_with, customer):
    client.force_login(customer_with(1))
    one, html = _queries(client, "/shop/accounts/program/")
    assert html.count('<section class="plan"') == 1

    customer_with(49)
    fifty, html = _queries(client, "/shop/accounts/program/")
    assert html.count('<section class="plan"') == 50
    waiting = [n for n in range(49) if STATES[n % len(STATES)] == PlanStatus.CONFIRMATION_NEEDED]
    assert html.count('id="confirmation-needed-') == len(waiting)
    assert fifty == one


@pytest.mark.django_db
def test_my_programs_files_cost_the_same_for_1_and_50_orders(client, customer_with, customer):
    client.force_login(customer_with(1))
    one, html = _queries(client, "/shop/accounts/program/")
    assert html.count('class="program-files"') == 1

    customer_with(49)
    fifty, html = _queries(client, "/shop/accounts/program/")
    assert html.count('class="program-files"') == 2
    assert fifty == one
