"""The money invariants of an installment plan, read from our database and the Stripe
stand-in together: what must hold after any mix of charges, webhooks, refunds, quitting,
card updates and cancellations, whatever order they came in.

The rules themselves live in ``shop.billing.invariants`` (also run by
``manage.py billing_check``); ``plan_invariants_check(plan)`` raises AssertionError listing
every broken one. The ``standin_*`` readers give the stand-in's raw JSON to tests that build
webhook events from it.
"""

from typing import Any

import requests
from django.conf import settings

from shop.billing.invariants import plan_invariants_problems
from shop.billing.models import InstallmentPlan

__all__ = [
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
