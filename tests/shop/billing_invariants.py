"""The money invariants of an installment plan, read from our database and the Stripe
stand-in together: what must hold after any mix of charges, webhooks, refunds, quitting,
card updates and cancellations, whatever order they came in.

The rules themselves live in ``shop.billing.invariants`` (also run by
``manage.py billing_check``); ``plan_invariants_check(plan)`` raises AssertionError listing
every broken one. The ``standin_*`` readers give the stand-in's raw JSON to tests that build
webhook events from it. ``StandinStripe`` and ``FakeStripe`` are what a test does on
Stripe's side of the gateway (Stripe.js, the bank's check, Stripe's own JSON), at the
stand-in or at the in-process fake, so one test can run against either.
"""

from typing import Any

import requests
from django.conf import settings

from shop import gateway
from shop.billing.invariants import plan_invariants_problems
from shop.billing.models import InstallmentPlan
from shop.gateway.testing import bank_check_for_tests, card_confirm_for_tests
from tests.support.fake_gateway import FakeGateway

__all__ = [
    "FakeStripe",
    "StandinStripe",
    "plan_invariants_check",
    "plan_invariants_problems",
    "standin_get",
    "standin_payment_intents",
    "standin_refunded_cents",
]


def standin_get(path: str, **params: Any) -> dict:
    """A plain GET to the stand-in's Stripe API, as JSON."""
    response = requests.get(
        f"{settings.STRIPE_API_BASE}{path}",
        params=params,
        headers={"Authorization": f"Bearer {settings.STRIPE_SECRET_KEY}"},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def standin_payment_intents(customer_id: str) -> list[dict]:
    """Every PaymentIntent of the customer at the stand-in (it cannot filter by customer,
    so all are listed page by page and filtered here)."""
    found, after = [], None
    while True:
        params: dict[str, Any] = {"limit": 100}
        if after:
            params["starting_after"] = after
        page = standin_get("/v1/payment_intents", **params)
        for intent in page["data"]:
            customer = intent.get("customer")
            if isinstance(customer, dict):
                customer = customer.get("id")
            if customer == customer_id:
                found.append(intent)
        if not page.get("has_more") or not page["data"]:
            return found
        after = page["data"][-1]["id"]


def standin_refunded_cents(intent: dict) -> int:
    """What the stand-in has given back on a PaymentIntent (its latest charge's refunds)."""
    charge = intent.get("latest_charge")
    if not charge:
        return 0
    if isinstance(charge, str):
        charge = standin_get(f"/v1/charges/{charge}")
    return int(charge.get("amount_refunded") or 0)


def plan_invariants_check(plan: InstallmentPlan, *, allow_unrecorded_confirmations=False) -> None:
    """Raise AssertionError naming every broken money invariant of the plan."""
    problems = plan_invariants_problems(
        plan, allow_unrecorded_confirmations=allow_unrecorded_confirmations
    )
    if problems:
        raise AssertionError(
            f"plan {plan.pk}: {len(problems)} invariant(s) broken:\n- " + "\n- ".join(problems)
        )


class StandinStripe:
    """Stripe's side at the stand-in: its JSON over HTTP, its Stripe.js and bank's check."""

    name = "standin"

    def intents(self, customer_id: str) -> list[dict]:
        return standin_payment_intents(customer_id)

    def intent(self, payment_intent_id: str) -> dict:
        return standin_get(f"/v1/payment_intents/{payment_intent_id}")

    def bank_check(self, *, payment_intent_id: str, success: bool) -> int:
        return bank_check_for_tests(payment_intent_id=payment_intent_id, success=success)

    def card_saved_for_update(self, plan: InstallmentPlan, number: str) -> str:
        """What the Update card page and Stripe.js do: a SetupIntent for the plan's customer,
        confirmed with the card (and its bank's check passed); returns the SetupIntent's id."""
        intent = gateway.setup_intent_create(
            customer_id=plan.stripe_customer_id, metadata={"plan_id": str(plan.pk)}
        )
        confirmed = card_confirm_for_tests(setup_intent_id=intent.id, card_number=number)
        if confirmed.status == "requires_action":
            # The cardholder passes the check: the stand-in's Stripe.js confirms once more.
            response = requests.post(
                f"{settings.STRIPE_API_BASE}/v1/setup_intents/{intent.id}/confirm",
                headers={"Authorization": f"Bearer {settings.STRIPE_SECRET_KEY}"},
                timeout=10,
            )
            response.raise_for_status()
        return intent.id


class FakeStripe:
    """Stripe's side at the in-process fake gateway, as ``StandinStripe`` at the stand-in."""

    name = "fake"

    def __init__(self, fake: FakeGateway) -> None:
        self.fake = fake

    def intents(self, customer_id: str) -> list[dict]:
        return self.fake.payment_intent_objects(customer_id)

    def intent(self, payment_intent_id: str) -> dict:
        return self.fake.payment_intent_object(payment_intent_id)

    def bank_check(self, *, payment_intent_id: str, success: bool) -> int:
        return self.fake.bank_check_for_tests(payment_intent_id=payment_intent_id, success=success)

    def card_saved_for_update(self, plan: InstallmentPlan, number: str) -> str:
        intent = gateway.setup_intent_create(
            customer_id=plan.stripe_customer_id, metadata={"plan_id": str(plan.pk)}
        )
        self.fake.card_confirm_for_tests(
            setup_intent_id=intent.id, card_number=number, bank_check=True
        )
        return intent.id
