"""Side effects of the billing rules: starting a plan at checkout and recording its events.

Called inside the checkout's transaction, so an order never exists without its plan, charges,
consent, trial claims and download grant, nor any of those without the order."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q

from shop import gateway
from shop.billing import transitions
from shop.billing.models import (
    InstallmentPlan,
    PlanStatus,
    ScheduledCharge,
    TrialClaim,
    TrialConsent,
    TrialOffer,
)
from shop.billing.money import minor_units
from shop.billing.transitions import MoveRefused
from shop.downloads.models import DownloadGrant
from shop.errors import RefusedWithMessage

# The refusal every plan action raises, with a message for the person who asked.
PlanActionNotAllowed = MoveRefused


class TrialNotAllowed(RefusedWithMessage):
    """This customer already had the free tryout; the message says so in plain words."""


@dataclass(frozen=True)
class ConsentRecord:
    text: str
    accepted_at: datetime
    ip_address: str | None
    user_agent: str
    country: str
    immediate_access_requested: bool
    immediate_access_text: str


@dataclass(frozen=True)
class SavedCard:
    customer_id: str
    payment_method_id: str
    setup_intent_id: str
    fingerprint: str
    brand: str
    last4: str


def cents(amount: Decimal, *, currency: str = "USD") -> int:
    """The amount in the currency's smallest unit (cents for USD, yen for JPY)."""
    return minor_units(amount, currency)


def trial_claims_for(
    *, user, email: str, card_fingerprint: str
) -> list[tuple[TrialClaim.Kind, str]]:
    claims = [(TrialClaim.Kind.ACCOUNT, str(user.pk)), (TrialClaim.Kind.EMAIL, email.lower())]
    if card_fingerprint:
        claims.append((TrialClaim.Kind.CARD, card_fingerprint))
    return claims


def trial_eligibility_check(*, product, user, email: str, card_fingerprint: str = "") -> None:
    """Raise TrialNotAllowed when this account, email address or card had the tryout."""
    query = Q()
    for kind, value in trial_claims_for(user=user, email=email, card_fingerprint=card_fingerprint):
        query |= Q(kind=kind, value=value)
    used = set(TrialClaim.objects.filter(query, product=product).values_list("kind", flat=True))
    if not used:
        return
    what: dict[str, str] = {
        TrialClaim.Kind.ACCOUNT: "this account",
        TrialClaim.Kind.EMAIL: "this email address",
        TrialClaim.Kind.CARD: "this card",
    }
    named = " and ".join(what[kind] for kind in TrialClaim.Kind.values if kind in used)
    raise TrialNotAllowed(
        f"The free tryout of {product.get_title()} has already been used with {named}. "
        "Each customer can try it free once."
    )


def consent_record(*, order, consent: ConsentRecord) -> TrialConsent:
    """Store the exact terms the customer agreed to with the order, when and from where."""
    return TrialConsent.objects.create(
        order=order,
        text=consent.text,
        accepted_at=consent.accepted_at,
        ip_address=consent.ip_address,
        user_agent=consent.user_agent[:500],
        country=consent.country,
        immediate_access_requested=consent.immediate_access_requested,
        immediate_access_text=consent.immediate_access_text,
    )


def plan_start(
    *,
    order,
    user,
    offer: TrialOffer,
    card: SavedCard,
    consent: ConsentRecord,
    start: datetime,
    with_trial: bool = True,
) -> InstallmentPlan:
    """Create the plan, its scheduled charges, the consent, the trial claims and the download
    grant for a just-placed order. Must run inside the transaction that created the order."""
    trial_days = offer.trial_days if with_trial else 0
    trial_ends_at = start + timedelta(days=trial_days)
    plan = InstallmentPlan.objects.create(
        order=order,
        user=user,
        product=offer.product,
        status=PlanStatus.TRIALING,
        with_trial=with_trial,
        trial_started_at=start,
        trial_ends_at=trial_ends_at,
        currency=offer.currency,
        installment_amount_cents=cents(offer.installment_amount, currency=offer.currency),
        installment_count=offer.installment_count,
        interval_days=offer.interval_days,
        total_cents=cents(offer.total, currency=offer.currency),
        stripe_customer_id=card.customer_id,
        stripe_payment_method_id=card.payment_method_id,
        stripe_setup_intent_id=card.setup_intent_id,
        card_fingerprint=card.fingerprint,
        card_brand=card.brand,
        card_last4=card.last4,
    )
    ScheduledCharge.objects.bulk_create(
        ScheduledCharge(
            plan=plan,
            sequence=number,
            due_at=trial_ends_at + timedelta(days=offer.interval_days * (number - 1)),
            amount_cents=plan.installment_amount_cents,
            currency=plan.currency,
        )
        for number in range(1, offer.installment_count + 1)
    )
    if with_trial:
        try:
            with transaction.atomic():
                TrialClaim.objects.bulk_create(
                    TrialClaim(product=offer.product, kind=kind, value=value, plan=plan)
                    for kind, value in trial_claims_for(
                        user=user, email=user.email, card_fingerprint=card.fingerprint
                    )
                )
        except IntegrityError as exc:
            # A simultaneous checkout claimed the tryout first.
            trial_eligibility_check(
                product=offer.product,
                user=user,
                email=user.email,
                card_fingerprint=card.fingerprint,
            )
            raise TrialNotAllowed("The free tryout has already been used.") from exc
    consent_record(order=order, consent=consent)
    DownloadGrant.objects.create(user=user, product=offer.product, order=order, starts_at=start)
    transitions.plan_opened(
        plan=plan,
        actor=user,
        note=(
            f"Card {card.brand} ····{card.last4} saved; nothing charged. "
            f"{offer.installment_count} × {offer.installment_amount} {offer.currency} scheduled."
        ),
        data={"setup_intent": card.setup_intent_id, "payment_method": card.payment_method_id},
    )
    return plan


def plan_trial_quit(*, plan_id: int, actor=None, actor_label: str = "customer"):
    """Quit the free tryout: cancel every future charge and end the download at the trial's
    end. Quitting twice changes nothing the second time. Returns (plan, changed)."""
    change = transitions.trial_quit(plan_id=plan_id, actor=actor, actor_label=actor_label)
    return change.plan, change.changed


def first_installment_paid_record(*, plan: InstallmentPlan, payment_intent_id: str, paid_at):
    """Record the first installment taken at checkout when the plan has no tryout, as any
    installment is recorded (inside the checkout's transaction)."""
    charge = plan.charges.get(sequence=1)
    ScheduledCharge.objects.filter(pk=charge.pk).update(attempts=1)
    transitions.installment_paid(
        charge_id=charge.pk,
        result=gateway.ChargeResult(
            status=gateway.PaymentStatus.SUCCEEDED,
            payment_intent_id=payment_intent_id,
            client_secret=None,
            amount_cents=charge.amount_cents,
        ),
        now=paid_at,
        actor=plan.user,
        actor_label="customer",
    )
