"""A known set of plans for the sales figures, each moved through the billing transitions at
its own time (time-machine), as the billing run and Stripe's webhooks would move it.

Weeks (Mondays, 2026) and what happens in each, with the program at 2 × $98.50, a 14-day
tryout and 28 days between payments:

    Sep 21, Sep 28  nothing
    Oct 5   tryouts "quit" and "full" start; "quit" is quit
    Oct 12  tryouts "refunded" and "partial" start
    Oct 19  "full" pays payment 1
    Oct 26  "refunded" and "partial" pay payment 1; "refunded" is refunded in full
    Nov 2   "partial" gets $20.00 back
    Nov 9   "direct" is bought without the tryout (payment 1 at once); a book is bought
            outright for $25.00; tryouts "failed" and "waiting" start
    Nov 16  "full" pays payment 2 (paid in full); tryout "running" starts
    Nov 23  "partial" pays payment 2 (paid in full); "waiting"'s bank asks for a
            confirmation; "failed"'s payment 1 is refused (retry on Nov 25)

The report is read at NOW, Wednesday November 25 2026, 09:00 UTC.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import time_machine
from oscar.core.loading import get_model

from shop import gateway
from shop.billing import transitions
from shop.billing.models import ChargeStatus, InstallmentPlan, ScheduledCharge
from shop.checkout.models import CheckoutPayment
from tests.shop.factories import InstallmentPlanFactory, OrderFactory, UserFactory

Basket = get_model("basket", "Basket")
Order = get_model("order", "Order")

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


@dataclass
class KnownPlans:
    quit: InstallmentPlan
    full: InstallmentPlan
    refunded: InstallmentPlan
    partial: InstallmentPlan
    direct: InstallmentPlan
    failed: InstallmentPlan
    waiting: InstallmentPlan
    running: InstallmentPlan
    purchase: CheckoutPayment


def plan_started(name: str, start: datetime, *, with_trial: bool = True) -> InstallmentPlan:
    with time_machine.travel(start, tick=False):
        user = UserFactory(username=name, email=f"{name}@example.com")
        plan = InstallmentPlanFactory(
            user=user,
            trial_started_at=start,
            trial_ends_at=start + timedelta(days=14 if with_trial else 0),
            with_trial=with_trial,
            stripe_customer_id=f"cus_{name}",
            with_installments=True,
        )
        transitions.event_record(plan=plan, kind="trial_started" if with_trial else "plan_started")
    return plan


def charge(plan: InstallmentPlan, sequence: int) -> ScheduledCharge:
    return plan.charges.get(sequence=sequence)


def paid(plan: InstallmentPlan, sequence: int, when: datetime) -> None:
    installment = charge(plan, sequence)
    with time_machine.travel(when, tick=False):
        transitions.installment_paid(
            charge_id=installment.pk,
            result=gateway.ChargeResult(
                status=gateway.PaymentStatus.SUCCEEDED,
                payment_intent_id=f"pi_{plan.pk}_{sequence}",
                client_secret=None,
                amount_cents=installment.amount_cents,
            ),
            now=when,
        )


def attempt_started(plan: InstallmentPlan, sequence: int) -> ScheduledCharge:
    installment = charge(plan, sequence)
    ScheduledCharge.objects.filter(pk=installment.pk).update(
        status=ChargeStatus.PROCESSING, attempts=1
    )
    return installment


def refused(plan: InstallmentPlan, sequence: int, when: datetime) -> None:
    installment = attempt_started(plan, sequence)
    with time_machine.travel(when, tick=False):
        transitions.payment_failed(
            charge_id=installment.pk,
            result=gateway.ChargeResult(
                status=gateway.PaymentStatus.FAILED,
                payment_intent_id=f"pi_{plan.pk}_{sequence}_refused",
                client_secret=None,
                failure_code="card_declined",
                failure_message="Your card was declined.",
            ),
            now=when,
        )


def confirmation_asked(plan: InstallmentPlan, sequence: int, when: datetime) -> None:
    installment = attempt_started(plan, sequence)
    with time_machine.travel(when, tick=False):
        transitions.confirmation_needed(
            charge_id=installment.pk,
            result=gateway.ChargeResult(
                status=gateway.PaymentStatus.REQUIRES_ACTION,
                payment_intent_id=f"pi_{plan.pk}_{sequence}_confirm",
                client_secret="secret",
                failure_code="authentication_required",
            ),
            now=when,
        )


def refunded(plan: InstallmentPlan, sequence: int, total_cents: int, when: datetime) -> None:
    """Money given back as Stripe's ``charge.refunded`` webhook records it."""
    with time_machine.travel(when, tick=False):
        transitions.refund_recorded(
            charge_id=charge(plan, sequence).pk,
            refunded_total_cents=total_cents,
            reference=f"re_{plan.pk}_{sequence}_{total_cents}",
            now=when,
        )


def bought_outright(name: str, cents: int, when: datetime) -> CheckoutPayment:
    with time_machine.travel(when, tick=False):
        user = UserFactory(username=name, email=f"{name}@example.com")
        order = OrderFactory(user=user)
        Order.objects.filter(pk=order.pk).update(date_placed=when)
        return CheckoutPayment.objects.create(
            basket=Basket.objects.create(owner=user),
            user=user,
            kind=CheckoutPayment.Kind.PURCHASE,
            amount_cents=cents,
            currency="USD",
            customer_id=f"cus_{name}",
            payment_intent_id=f"pi_{name}",
            order=order,
        )


def known_plans() -> KnownPlans:
    """The plans of the module's docstring, in the order things happened."""
    quit_ = plan_started("quit", at(10, 5))
    full = plan_started("full", at(10, 5, 11))
    with time_machine.travel(at(10, 8), tick=False):
        transitions.trial_quit(plan_id=quit_.pk, now=at(10, 8))
    refunded_ = plan_started("refunded", at(10, 12))
    partial = plan_started("partial", at(10, 13))
    paid(full, 1, at(10, 19))
    paid(refunded_, 1, at(10, 26))
    paid(partial, 1, at(10, 27))
    refunded(refunded_, 1, 9850, at(10, 28))
    refunded(partial, 1, 2000, at(11, 3))
    direct = plan_started("direct", at(11, 9), with_trial=False)
    paid(direct, 1, at(11, 9))
    purchase = bought_outright("book", 2500, at(11, 10, 12))
    waiting = plan_started("waiting", at(11, 9, 11))
    failed = plan_started("failed", at(11, 10))
    paid(full, 2, at(11, 16))
    running = plan_started("running", at(11, 20))
    paid(partial, 2, at(11, 24))
    confirmation_asked(waiting, 1, at(11, 23, 11))
    refused(failed, 1, at(11, 24))
    return KnownPlans(
        quit=quit_,
        full=full,
        refunded=refunded_,
        partial=partial,
        direct=direct,
        failed=failed,
        waiting=waiting,
        running=running,
        purchase=purchase,
    )
