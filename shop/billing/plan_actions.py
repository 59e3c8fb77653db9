"""The author's four actions on a customer's program, in one table: what each is called,
who may use it, what it will do (said before it is done) and doing it.

The back office's pages (``shop.billing.backoffice``) ask and confirm; everything they say
and do comes from here, so an action reads the same wherever it is offered."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from shop import gateway
from shop.billing.actions import installment_retry_now, plan_cancel_access_end, plan_payments_cancel
from shop.billing.confirmation import confirmation_email_resend
from shop.billing.forms import RefundAmountForm
from shop.billing.models import ChargeStatus, InstallmentPlan, PlanStatus, ScheduledCharge
from shop.billing.money import from_minor_units
from shop.billing.refunds import installment_refund
from shop.errors import RefusedWithMessage
from web.dates import long_date


class PlanAction(StrEnum):
    """The actions, as named in their links."""

    REFUND = "refund"
    RETRY = "retry"
    CANCEL = "cancel"
    RESEND = "resend"


@dataclass(frozen=True)
class ActionTerms:
    title: str
    button: str
    permission: str
    # Every action but "cancel" is done to one payment; "cancel" to the whole plan.
    on_payment: bool = True


ACTIONS: dict[PlanAction, ActionTerms] = {
    PlanAction.REFUND: ActionTerms("Refund payment", "Refund", "billing.refund_installment"),
    PlanAction.RETRY: ActionTerms(
        "Retry payment now", "Charge the saved card now", "billing.retry_payment"
    ),
    PlanAction.CANCEL: ActionTerms(
        "Cancel remaining payments",
        "Cancel the remaining payments",
        "billing.cancel_payments",
        on_payment=False,
    ),
    PlanAction.RESEND: ActionTerms(
        "Send the confirmation email again", "Send the email", "billing.resend_confirmation"
    ),
}

# Which action a payment in each state offers (at most one).
PAYMENT_ACTION = {
    ChargeStatus.PAID: PlanAction.REFUND,
    ChargeStatus.FAILED: PlanAction.RETRY,
    ChargeStatus.AWAITING_CONFIRMATION: PlanAction.RESEND,
}

CANCELLABLE = {
    PlanStatus.INSTALLMENT_PAID,
    PlanStatus.PAYMENT_FAILED,
    PlanStatus.CONFIRMATION_NEEDED,
}


def action_named(name: str) -> PlanAction:
    """The action of a link, or 404 for a name that is none."""
    try:
        return PlanAction(name)
    except ValueError:
        raise Http404 from None


def action_allowed(user, action: PlanAction) -> bool:
    return user.has_perm(ACTIONS[action].permission)


@dataclass
class ActionTarget:
    """What an action is done to: the plan, and the payment for all but "cancel"."""

    action: PlanAction
    plan: InstallmentPlan
    charge: ScheduledCharge | None


def action_target(action: PlanAction, pk: int) -> ActionTarget:
    """The plan (for "cancel") or the payment (the others) ``pk`` names; 404 if none."""
    if not ACTIONS[action].on_payment:
        plan = get_object_or_404(InstallmentPlan.objects.select_related("order", "user"), pk=pk)
        return ActionTarget(action, plan, None)
    charge = get_object_or_404(
        ScheduledCharge.objects.select_related("plan__order", "plan__user"), pk=pk
    )
    return ActionTarget(action, charge.plan, charge)


def payment_action(charge: ScheduledCharge, user) -> PlanAction | None:
    """The action ``user`` may take on this payment now, if any."""
    action = PAYMENT_ACTION.get(ChargeStatus(charge.status))
    return action if action is not None and action_allowed(user, action) else None


def plan_can_be_cancelled(plan: InstallmentPlan, user) -> bool:
    return plan.status in CANCELLABLE and action_allowed(user, PlanAction.CANCEL)


def action_explanation(target: ActionTarget, now: datetime | None = None) -> str:
    """What the action will do, in a sentence shown before it is confirmed."""
    charge, action = target.charge, target.action
    if action == PlanAction.REFUND and charge is not None:
        return (
            f"Give back money paid for payment {charge.sequence}. A full refund refunds the "
            "plan: remaining payments are cancelled and the download ends now."
        )
    if action == PlanAction.RESEND and charge is not None:
        if charge.confirm_by is None:
            return f"Payment {charge.sequence} does not wait for a confirmation."
        return (
            f"Email the customer again the link to confirm payment {charge.sequence} with "
            f"their bank, valid until {long_date(charge.confirm_by)}."
        )
    if action == PlanAction.RETRY and charge is not None:
        return (
            f"Charge payment {charge.sequence} "
            f"({from_minor_units(charge.amount_cents, charge.currency)} {charge.currency}) "
            "to the saved card now, whatever its retry date."
        )
    end = plan_cancel_access_end(target.plan, now or timezone.now())
    return (
        "Nothing more will be charged. The download stays open until "
        f"{long_date(end)} (the period already paid)."
    )


def refund_form(target: ActionTarget, data=None) -> RefundAmountForm | None:
    """The amount field of a refund (None for the other actions)."""
    if target.action != PlanAction.REFUND or target.charge is None:
        return None
    return RefundAmountForm(data, charge=target.charge)


@dataclass(frozen=True)
class ActionResult:
    """What to tell the author afterwards: ``level`` is a message level's name."""

    level: str
    message: str


def action_perform(*, target: ActionTarget, form: RefundAmountForm | None, actor) -> ActionResult:
    """Do the confirmed action and say what happened; a refusal is said, never raised."""
    try:
        message = _act(target, form, actor)
    except gateway.PaymentProviderUnavailable as exc:
        if target.action == PlanAction.REFUND:
            # The refund is claimed: the billing run asks Stripe again with the same key.
            return ActionResult(
                "warning",
                "Stripe could not be reached. The refund is recorded as requested and is "
                "sent again automatically in a few minutes; nothing more to do.",
            )
        return ActionResult("error", exc.user_message)
    except RefusedWithMessage as exc:
        return ActionResult("error", exc.user_message)
    return ActionResult("success", message)


def _act(target: ActionTarget, form: RefundAmountForm | None, actor) -> str:
    charge, action = target.charge, target.action
    if action == PlanAction.REFUND and charge is not None and form is not None:
        refunded = installment_refund(
            charge_id=charge.pk, amount_cents=form.cleaned_data["amount"], actor=actor
        )
        return f"Refunded {from_minor_units(refunded, charge.currency)} {charge.currency}."
    if action == PlanAction.RESEND and charge is not None:
        confirmation_email_resend(charge_id=charge.pk, actor=actor)
        return f"The email was sent again to {target.plan.user.email}."
    if action == PlanAction.RETRY and charge is not None:
        attempt = installment_retry_now(charge_id=charge.pk, actor=actor)
        return f"Retry: {attempt.outcome}{f' ({attempt.reason})' if attempt.reason else ''}."
    # Only "cancel" has no payment: any other action reaching here is refused.
    if action != PlanAction.CANCEL:
        raise Http404
    _, changed = plan_payments_cancel(plan_id=target.plan.pk, actor=actor, actor_label="author")
    return "Remaining payments cancelled." if changed else "They were already cancelled."
