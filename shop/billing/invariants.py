"""The money rules every installment plan must keep, checked against our database and
Stripe together: what must hold after any mix of charges, webhooks, refunds, quitting, card
updates and cancellations, whatever order they came in. `manage.py billing_check` reports
every broken rule of every plan; the tests check the same rules after every step.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from shop import gateway
from shop.billing.access import plan_access_ends_at
from shop.billing.models import ChargeStatus, InstallmentPlan, PlanStatus, ScheduledCharge
from shop.billing.transitions import ORDER_STATUS_FOR_PLAN
from shop.downloads.models import DownloadGrant

PAID = (ChargeStatus.PAID, ChargeStatus.REFUNDED)
LEFT_TO_COLLECT = (
    ChargeStatus.SCHEDULED,
    ChargeStatus.PROCESSING,
    ChargeStatus.FAILED,
    ChargeStatus.AWAITING_CONFIRMATION,
)
# The events after which a plan takes no more money: quit, cancelled, refunded in full.
CLOSING_EVENTS = ("trial_quit", "payments_cancelled", "charge_refunded")


def _cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def plan_invariants_problems(
    plan: InstallmentPlan,
    *,
    payments: list[gateway.PaymentRecord] | None = None,
    allow_unrecorded_confirmations: bool = False,
) -> list[str]:
    """Every broken invariant of the plan, in words ([] when all hold).

    ``payments`` are the customer's PaymentIntents at Stripe (read from Stripe when not
    given). ``allow_unrecorded_confirmations`` tolerates one transient state between steps: the
    customer has just confirmed a waiting payment at the bank (it succeeded at Stripe) and
    neither the page's answer nor the webhook has been recorded yet."""
    plan = InstallmentPlan.objects.select_related("order").get(pk=plan.pk)
    charges = list(plan.charges.order_by("sequence"))
    by_pk = {c.pk: c for c in charges}
    problems: list[str] = []

    def name(charge: ScheduledCharge) -> str:
        return f"installment {charge.sequence} ({charge.status})"

    # 1. At most installment_count installments paid; each paid one carries a PaymentIntent.
    paid = [c for c in charges if c.status in PAID]
    if len(paid) > plan.installment_count:
        problems.append(f"{len(paid)} installments paid, the plan has {plan.installment_count}")
    for charge in paid:
        if not charge.payment_intent_id:
            problems.append(f"{name(charge)} is recorded paid without a PaymentIntent")
    for charge in charges:
        if charge.refunded_cents > charge.amount_cents:
            problems.append(
                f"{name(charge)}: {charge.refunded_cents} refunded of {charge.amount_cents}"
            )
        if charge.status not in PAID and charge.refunded_cents:
            problems.append(f"{name(charge)} is not paid but has {charge.refunded_cents} refunded")
        fully = charge.refunded_cents >= charge.amount_cents
        if charge.status == ChargeStatus.REFUNDED and not fully:
            problems.append(
                f"{name(charge)} is marked refunded with only {charge.refunded_cents} "
                f"of {charge.amount_cents} given back"
            )
        if charge.status == ChargeStatus.PAID and fully:
            problems.append(f"{name(charge)} is fully refunded but still marked paid")
    intent_owners: dict[str, list[ScheduledCharge]] = defaultdict(list)
    for charge in paid:
        if charge.payment_intent_id:
            intent_owners[charge.payment_intent_id].append(charge)
    for intent_id, owners in intent_owners.items():
        if len(owners) > 1:
            problems.append(
                f"PaymentIntent {intent_id} is recorded as the payment of "
                + " and ".join(name(c) for c in owners)
            )

    # 2. The order's payment source agrees with the installments.
    sources = list(plan.order.sources.all())
    debited = sum(_cents(s.amount_debited) for s in sources)
    refunded = sum(_cents(s.amount_refunded) for s in sources)
    paid_cents = sum(c.amount_cents for c in paid)
    refunded_cents = sum(c.refunded_cents for c in charges)
    if debited != paid_cents:
        problems.append(
            f"the order's source shows {debited} debited, the paid installments {paid_cents}"
        )
    if refunded != refunded_cents:
        problems.append(
            f"the order's source shows {refunded} refunded, the installments {refunded_cents}"
        )

    # 3. Stripe's money equals ours, PaymentIntent by PaymentIntent.
    if payments is None:
        payments = [
            p for p in gateway.payment_records_all() if p.customer_id == plan.stripe_customer_id
        ]
    succeeded = {
        p.payment_intent_id: p for p in payments if p.status == gateway.IntentStatus.SUCCEEDED
    }
    waiting = {
        c.payment_intent_id for c in charges if c.status == ChargeStatus.AWAITING_CONFIRMATION
    }
    in_flight = set(waiting) - set(intent_owners) if allow_unrecorded_confirmations else set()
    taken = sum(p.amount_cents for p in succeeded.values() if p.payment_intent_id not in in_flight)
    given_back = {p.payment_intent_id: p.refunded_cents for p in payments}
    if taken != debited:
        problems.append(f"Stripe took {taken}, the order's source shows {debited} debited")
    if sum(given_back.values()) != refunded:
        problems.append(
            f"Stripe gave back {sum(given_back.values())}, "
            f"the order's source shows {refunded} refunded"
        )
    per_installment: dict[str, list[str]] = defaultdict(list)
    for intent_id, intent in succeeded.items():
        named = intent.metadata.get("charge_id", "")
        per_installment[named].append(intent_id)
        if intent_id in intent_owners:
            continue
        if intent_id in in_flight:
            continue
        target = by_pk.get(int(named)) if named.isdigit() else None
        problems.append(
            f"Stripe took {intent.amount_cents} by {intent_id} for "
            f"{name(target) if target else 'no installment of this plan'}, "
            "which we do not record as paid by it"
        )
    for named, ids in per_installment.items():
        if len(ids) > 1:
            target = by_pk.get(int(named)) if named.isdigit() else None
            problems.append(
                f"{name(target) if target else f'charge {named}'} was charged "
                f"{len(ids)} times at Stripe: {', '.join(ids)}"
            )
    for charge in paid:
        if charge.payment_intent_id not in succeeded:
            problems.append(
                f"{name(charge)} is recorded paid by {charge.payment_intent_id or 'nothing'}, "
                "which did not succeed at Stripe"
            )
            continue
        intent = succeeded[charge.payment_intent_id]
        if intent.amount_cents != charge.amount_cents:
            problems.append(
                f"{name(charge)} is {charge.amount_cents}, "
                f"its PaymentIntent {intent.payment_intent_id} {intent.amount_cents}"
            )
        if intent.currency != charge.currency.lower():
            problems.append(
                f"{name(charge)} is in {charge.currency}, "
                f"its PaymentIntent {intent.payment_intent_id} in {intent.currency}"
            )
        if given_back[intent.payment_intent_id] != charge.refunded_cents:
            problems.append(
                f"{name(charge)} has {charge.refunded_cents} refunded here, "
                f"{given_back[intent.payment_intent_id]} at Stripe"
            )
    for intent_id, cents in given_back.items():
        if cents and intent_id not in intent_owners:
            problems.append(f"Stripe refunded {cents} on {intent_id}, no paid installment")

    # 4. The download grant follows the plan, and the plan's status its installments.
    ends = plan_access_ends_at(plan)
    for grant in DownloadGrant.objects.filter(order_id=plan.order_id):
        if grant.ends_at != ends:
            problems.append(
                f"the download grant ends at {grant.ends_at}, the plan ({plan.status}) says {ends}"
            )
    wanted_order_status = ORDER_STATUS_FOR_PLAN[plan.status]
    if plan.order.status != wanted_order_status:
        problems.append(
            f"the order is {plan.order.status!r}, the plan {plan.status} ({wanted_order_status!r})"
        )
    problems.extend(_status_problems(plan, charges, paid))
    return problems


def _status_problems(plan, charges, paid) -> list[str]:
    """The plan's status against its installments."""
    statuses = [c.status for c in charges]
    count = plan.installment_count
    left = [c for c in charges if c.status in LEFT_TO_COLLECT]
    what = f"the plan is {plan.status} with installments {statuses}"
    problems = []
    if plan.status == PlanStatus.TRIALING:
        if paid or ChargeStatus.CANCELLED in statuses or ChargeStatus.FAILED in statuses:
            problems.append(what)
    elif plan.status == PlanStatus.INSTALLMENT_PAID:
        unsettled = {
            ChargeStatus.CANCELLED,
            ChargeStatus.FAILED,
            ChargeStatus.AWAITING_CONFIRMATION,
        }
        if not 1 <= len(paid) < count or unsettled.intersection(statuses):
            problems.append(what)
    elif plan.status == PlanStatus.PAID_IN_FULL:
        if len(paid) != count:
            problems.append(what)
    elif plan.status == PlanStatus.PAYMENT_FAILED:
        if ChargeStatus.FAILED not in statuses or len(paid) >= count:
            problems.append(what)
    elif plan.status == PlanStatus.CONFIRMATION_NEEDED:
        if ChargeStatus.AWAITING_CONFIRMATION not in statuses:
            problems.append(what)
    elif plan.status == PlanStatus.TRIAL_QUIT:
        if paid or left:
            problems.append(what)
    elif plan.status == PlanStatus.CANCELLED:
        if left:
            problems.append(what)
    elif plan.status == PlanStatus.REFUNDED and (left or ChargeStatus.REFUNDED not in statuses):
        problems.append(what)
    if plan.status in (PlanStatus.TRIAL_QUIT, PlanStatus.CANCELLED, PlanStatus.REFUNDED):
        closed = plan.events.filter(kind__in=CLOSING_EVENTS).order_by("pk").first()
        late = (
            plan.events.filter(kind="charge_succeeded", pk__gt=closed.pk)
            if closed
            else plan.events.none()
        )
        for event in late:
            problems.append(f"money taken after the plan was closed ({closed.kind}): {event.note}")
    return problems


@dataclass(frozen=True)
class PlansChecked:
    plans: int
    installments: int
    # Stripe's PaymentIntents belonging to the plans' customers.
    payments: int
    # (plan id, what is wrong) for every broken rule.
    problems: list[tuple[int, str]]


def plans_invariants_check() -> PlansChecked:
    """Every plan against Stripe's PaymentIntents, read once for the whole account.
    Raises `gateway.PaymentProviderUnavailable` when Stripe cannot be reached."""
    by_customer: dict[str | None, list[gateway.PaymentRecord]] = defaultdict(list)
    for payment in gateway.payment_records_all():
        by_customer[payment.customer_id].append(payment)
    problems = []
    plans = payments = 0
    customers = set()
    for plan in InstallmentPlan.objects.order_by("pk").iterator():
        plans += 1
        if plan.stripe_customer_id not in customers:
            customers.add(plan.stripe_customer_id)
            payments += len(by_customer.get(plan.stripe_customer_id, []))
        for problem in plan_invariants_problems(
            plan, payments=by_customer.get(plan.stripe_customer_id, [])
        ):
            problems.append((plan.pk, problem))
    installments = ScheduledCharge.objects.count()
    return PlansChecked(
        plans=plans, installments=installments, payments=payments, problems=problems
    )
