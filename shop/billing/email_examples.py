"""What each plan email would say for a real plan, for the author's preview in the back office.

``email_context_for`` builds, from the plan as it stands, the context the shop gives the email
with that code when it sends it (shop.billing.transitions, reminders, confirmation, the
checkout): the payment the email is about, its links and its deadline. Nothing is written:
the charges are read, never changed, and no email is queued.
"""

import copy
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from shop.billing.access import grace_days
from shop.billing.models import ChargeStatus, InstallmentPlan, ScheduledCharge
from shop.billing.reminders import (
    PAYMENT_REMINDER,
    TRIAL_REMINDER,
    payment_reminder_context,
    quit_link_path,
)
from shop.billing.transitions import (
    confirmation_deadline,
    confirmation_email_context,
)

# The emails about a payment still to come (or waiting): they name the next one.
ABOUT_THE_NEXT_PAYMENT = {
    "TRIAL_REMINDER",
    "PAYMENT_REMINDER",
    "PAYMENT_FAILED",
    "PAYMENT_CONFIRMATION_NEEDED",
    "PAYMENT_CONFIRMATION_REMINDER",
    "PLAN_SUSPENDED",
}
# Shown when the card has not been declined for real yet: what the bank usually says.
EXAMPLE_FAILURE_MESSAGE = "Your card was declined."


def _charges(plan: InstallmentPlan) -> list[ScheduledCharge]:
    return list(plan.charges.order_by("sequence"))


def _next_charge(charges: list[ScheduledCharge]) -> ScheduledCharge | None:
    waiting = [c for c in charges if c.status not in (ChargeStatus.PAID, ChargeStatus.REFUNDED)]
    chosen = waiting or charges
    return chosen[0] if chosen else None


def _last_paid_charge(charges: list[ScheduledCharge]) -> ScheduledCharge | None:
    paid = [c for c in charges if c.status in (ChargeStatus.PAID, ChargeStatus.REFUNDED)]
    chosen = paid or charges
    return chosen[-1] if chosen else None


def _confirmation_context(charge: ScheduledCharge) -> dict:
    if charge.confirm_by is None:
        # Not waiting for the bank (yet): the deadline it would get if it were asked now,
        # on a copy, so the plan's own installment is left as it is.
        example = copy.copy(charge)
        example.confirm_by = confirmation_deadline(example, timezone.now())[0]
        return confirmation_email_context(example)
    return confirmation_email_context(charge)


def email_context_for(code: str, plan: InstallmentPlan) -> dict:
    """The context the email ``code`` is sent with for ``plan``: order, customer, the payment
    it is about (the next one for reminders and payment problems, the last one paid for
    receipts and refunds) and its links. For any plan state: a preview of a refund for a plan
    with nothing paid yet shows the first payment."""
    order = plan.order
    context: dict = {"order": order, "plan": plan, "user": plan.user}
    charges = _charges(plan)
    update_card_path = reverse("billing:card-update", args=[plan.pk])
    if code == "ORDER_PLACED":
        context["lines"] = order.lines.all()
        if plan.with_trial:
            context["quit_path"] = quit_link_path(plan)
        return context
    if code == "ACCOUNT_DELETED":
        return {"first_name": plan.user.first_name, "email": plan.user.email}
    charge = _next_charge(charges) if code in ABOUT_THE_NEXT_PAYMENT else _last_paid_charge(charges)
    context["charge"] = charge
    if charge is None:
        return context
    if code in (TRIAL_REMINDER, PAYMENT_REMINDER):
        # As the billing run writes it, for this payment whatever the plan's state: a
        # preview during the tryout shows the later payments' reminder too.
        context.update(
            payment_reminder_context(code=code, plan=plan, charge=charge, now=timezone.now())
        )
    elif code == "PAYMENT_FAILED":
        context.update(
            failure_message=EXAMPLE_FAILURE_MESSAGE,
            update_card_path=update_card_path,
            access_ends=charge.due_at + timedelta(days=grace_days()),
        )
    elif code in ("PAYMENT_CONFIRMATION_NEEDED", "PAYMENT_CONFIRMATION_REMINDER"):
        context.update(_confirmation_context(charge))
    elif code == "PLAN_SUSPENDED":
        context["confirmation_expired"] = charge.status == ChargeStatus.AWAITING_CONFIRMATION
    elif code == "PAYMENTS_CANCELLED":
        context["ended"] = plan.access_ends_at is not None and plan.access_ends_at <= timezone.now()
    elif code == "REFUND_ISSUED":
        refunded = charge.refunded_cents or charge.amount_cents
        context.update(refunded_cents=refunded, full=refunded >= charge.amount_cents)
    return context
