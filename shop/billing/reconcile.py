"""Comparing our installment plans with Stripe's PaymentIntents.

What is safe to fix is fixed (a payment Stripe took that we did not record; an installment
left PROCESSING); what needs a person (a double charge, a payment we recorded that Stripe
does not show) is reported, never "fixed" by charging or refunding on our own.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from shop import gateway
from shop.billing.charging import charge_outcome_record, reconcile_charge
from shop.billing.models import ChargeStatus, InstallmentPlan, InstallmentRefund
from shop.billing.transitions import event_record as plan_event_record


@dataclass(frozen=True)
class Difference:
    plan_id: int
    charge_id: int | None
    problem: str
    fixed: bool


def plan_reconcile(
    plan: InstallmentPlan, *, fix: bool = True, now: datetime | None = None
) -> list[Difference]:
    """The differences between one plan and Stripe, fixing the safe ones when ``fix``."""
    now = now or timezone.now()
    intents = gateway.payment_intents_for(
        customer_id=plan.stripe_customer_id, metadata_key="plan_id", metadata_value=str(plan.pk)
    )
    charges = {c.pk: c for c in plan.charges.all()}
    # Payments already given back automatically (a second payment of an installment).
    given_back = set(
        InstallmentRefund.objects.filter(plan=plan)
        .exclude(reason=InstallmentRefund.Reason.AUTHOR)
        .values_list("payment_intent_id", flat=True)
    )
    found: list[Difference] = []

    def note(charge_id, problem, fixed=False):
        found.append(Difference(plan.pk, charge_id, problem, fixed))

    for intent in intents:
        charge_id = intent.metadata.get("charge_id", "")
        if not charge_id.isdigit() or int(charge_id) not in charges:
            note(None, f"{intent.payment_intent_id} names no installment of this plan")
    for charge in charges.values():
        mine = [i for i in intents if i.metadata.get("charge_id") == str(charge.pk)]
        paid = [i for i in mine if i.status == gateway.PaymentStatus.SUCCEEDED]
        extra = [
            i
            for i in paid
            if i.payment_intent_id != charge.payment_intent_id
            and i.payment_intent_id not in given_back
        ]
        if charge.status in (ChargeStatus.PAID, ChargeStatus.REFUNDED) and extra:
            also_by = ", ".join(str(i.payment_intent_id) for i in extra)
            if fix:
                # A second payment of one installment is never kept: refunded automatically.
                for intent in extra:
                    charge_outcome_record(
                        charge_id=charge.pk, result=intent, now=now, actor_label="reconcile"
                    )
            note(
                charge.pk,
                f"installment {charge.sequence} also charged by {also_by}"
                + ("; refunded automatically" if fix else ""),
                fix,
            )
        if charge.status == ChargeStatus.PROCESSING:
            if fix:
                note(
                    charge.pk,
                    f"left processing; reconciled: {reconcile_charge(charge, now=now)}",
                    True,
                )
            else:
                note(charge.pk, "left processing")
            continue
        if paid and charge.status not in (ChargeStatus.PAID, ChargeStatus.REFUNDED):
            problem = f"paid at Stripe ({paid[0].payment_intent_id}) but {charge.status} here"
            if fix:
                charge_outcome_record(
                    charge_id=charge.pk, result=paid[0], now=now, actor_label="reconcile"
                )
            note(charge.pk, problem, fix)
        elif charge.status in (ChargeStatus.PAID, ChargeStatus.REFUNDED):
            ids = {i.payment_intent_id for i in paid}
            if charge.payment_intent_id not in ids:
                note(
                    charge.pk,
                    f"recorded paid by {charge.payment_intent_id or 'nothing'}, "
                    "which Stripe does not show as succeeded",
                )
    reported = [d for d in found if not d.fixed]
    if reported:
        plan_event_record(
            plan=plan,
            kind="reconcile_differences",
            actor_label="reconcile",
            note="; ".join(d.problem for d in reported)[:500],
        )
    return found


def plans_reconcile(*, fix: bool = True, now: datetime | None = None) -> list[Difference]:
    """Every plan that has ever been charged (or should have been), compared with Stripe."""
    plans = InstallmentPlan.objects.filter(charges__attempts__gt=0).distinct()
    differences: list[Difference] = []
    for plan in plans:
        differences.extend(plan_reconcile(plan, fix=fix, now=now))
    return differences
