"""The fake gateway answers as the Stripe stand-in does: the same calls, made against each,
give the same results and errors (ids and secrets aside)."""

import dataclasses
import json
import re

import pytest

from shop import gateway
from shop.gateway import testing as gateway_testing
from tests.support.fake_gateway import (
    CARD_AUTHENTICATION,
    CARD_DECLINED_WHEN_CHARGED,
    CARD_DECLINED_WHEN_SAVED,
    CARD_OK,
    FakeGateway,
)

pytestmark = pytest.mark.django_db

_IDS = re.compile(r"\b(cus|seti|pm|pi|re|ch)_[A-Za-z0-9]+(_secret_[A-Za-z0-9]+)?")


def normalised(value: object, names: dict[str, str]) -> str:
    """The value's repr with every provider id named by its kind and first appearance."""

    def name(match: re.Match) -> str:
        found = match.group(0)
        if found not in names:
            kind = match.group(1) + ("-secret" if match.group(2) else "")
            names[found] = f"<{kind}-{sum(n.startswith(f'<{kind}-') for n in names.values())}>"
        return names[found]

    def plain(item: object) -> object:
        if dataclasses.is_dataclass(item):
            return {type(item).__name__: dataclasses.asdict(item)}
        if isinstance(item, list | tuple):
            return [plain(i) for i in item]
        return item

    return _IDS.sub(name, json.dumps(plain(value), sort_keys=True))


def outcome(call) -> object:
    try:
        return call()
    except gateway.GatewayError as exc:
        return (type(exc).__name__, exc.code, exc.user_message)


def transcript() -> list[str]:
    """A customer's cards and payments through every call the billing code makes."""
    names: dict[str, str] = {}
    lines: list[str] = []

    def step(label: str, call) -> object:
        result = outcome(call)
        lines.append(f"{label}: {normalised(result, names)}")
        return result

    customer = step(
        "customer",
        lambda: gateway.customer_create(email="a@example.com", name="A", metadata={"user_id": "1"}),
    )

    def card(number: str) -> str | None:
        intent = step(
            f"setup {number[-4:]}",
            lambda: gateway.setup_intent_create(customer_id=customer, metadata={"plan_id": "7"}),
        )
        step(
            f"confirm {number[-4:]}",
            lambda: gateway_testing.card_confirm_for_tests(
                setup_intent_id=intent.id, card_number=number, bank_check=True
            ),
        )
        saved = step(f"retrieve {number[-4:]}", lambda: gateway.setup_intent_retrieve(intent.id))
        if saved.status != "succeeded":
            return None
        step(
            f"attach {number[-4:]}",
            lambda: gateway.card_attach(
                payment_method_id=saved.payment_method_id, customer_id=customer
            ),
        )
        return saved.payment_method_id

    def charge(label: str, method: str, key: str, cents: int = 9850) -> gateway.ChargeResult:
        return step(
            label,
            lambda: gateway.charge_off_session(
                customer_id=customer,
                payment_method_id=method,
                amount_cents=cents,
                currency="USD",
                metadata={"charge_id": key, "plan_id": "7", "attempt": "1"},
                idempotency_key=f"charge-{key}",
            ),
        )

    ok, declined, checked = (
        card(CARD_OK),
        card(CARD_DECLINED_WHEN_CHARGED),
        card(CARD_AUTHENTICATION),
    )
    assert card(CARD_DECLINED_WHEN_SAVED) is None

    paid = charge("charge ok", ok, "1")
    charge("charge declined", declined, "2")
    waiting = charge("charge waiting", checked, "3")
    step(
        "bank check passed",
        lambda: gateway_testing.bank_check_for_tests(
            payment_intent_id=waiting.payment_intent_id, success=True
        ),
    )
    step("after the check", lambda: gateway.payment_intent_retrieve(waiting.payment_intent_id))
    failing = charge("charge waiting again", checked, "4")
    step(
        "bank check failed",
        lambda: gateway_testing.bank_check_for_tests(
            payment_intent_id=failing.payment_intent_id, success=False
        ),
    )
    step(
        "after the failed check", lambda: gateway.payment_intent_retrieve(failing.payment_intent_id)
    )
    cancelled = charge("charge waiting, to cancel", checked, "5")
    step("cancel waiting", lambda: gateway.payment_intent_cancel(cancelled.payment_intent_id))
    step("cancel paid", lambda: gateway.payment_intent_cancel(paid.payment_intent_id))
    step(
        "refund part",
        lambda: gateway.refund_create(
            payment_intent_id=paid.payment_intent_id,
            amount_cents=1000,
            metadata={"charge_id": "1"},
            idempotency_key="refund-1",
        ),
    )
    step(
        "refund a decline",
        lambda: gateway.refund_create(
            payment_intent_id=failing.payment_intent_id,
            amount_cents=None,
            metadata={"charge_id": "4"},
            idempotency_key="refund-2",
        ),
    )
    step(
        "search",
        lambda: gateway.payment_intents_for(
            customer_id=customer, metadata_key="charge_id", metadata_value="3"
        ),
    )
    step(
        "books",
        # Sorted: the stand-in lists the account's payments in the opposite order to Stripe.
        lambda: sorted(
            (p for p in gateway.payment_records_all() if p.customer_id == customer),
            key=lambda p: p.metadata["charge_id"],
        ),
    )
    step("missing", lambda: gateway.payment_intent_retrieve("pi_never_made_here"))
    step("card details", lambda: gateway.card_details(ok))
    return lines


@pytest.mark.slow
def test_the_fake_gateway_answers_as_the_stripe_standin(billing_standin, monkeypatch):
    at_the_standin = transcript()
    FakeGateway().install(monkeypatch)
    on_the_fake = transcript()
    for fake_line, standin_line in zip(on_the_fake, at_the_standin, strict=True):
        assert fake_line == standin_line
