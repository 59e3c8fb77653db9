"""Reads of the trial terms, in the one shape every page shows them in."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from babel.numbers import format_currency

from shop.billing.access import plan_access_ends_at
from shop.billing.confirm_links import confirm_link_path
from shop.billing.models import ChargeStatus, InstallmentPlan, TrialOffer
from shop.billing.money import from_minor_units
from shop.billing.services import TrialNotAllowed, trial_eligibility_check
from shop.billing.transitions import UNPAID, plan_cancel_access_end
from shop.errors import RefusedWithMessage
from web.dates import long_date


@dataclass(frozen=True)
class TrialTerms:
    product_title: str
    product_url: str
    trial_days: int
    installment_count: int
    installment_amount: Decimal
    interval_days: int
    currency: str
    total: Decimal
    available: bool

    def money(self, amount: Decimal) -> str:
        return format_currency(amount, self.currency, locale="en_US")

    @property
    def installment_display(self) -> str:
        return self.money(self.installment_amount)

    @property
    def total_display(self) -> str:
        return self.money(self.total)

    @property
    def nothing_display(self) -> str:
        """What the tryout costs today: "$0.00" in the offer's currency."""
        return self.money(Decimal(0))

    @property
    def trial_display(self) -> str:
        weeks, rest = divmod(self.trial_days, 7)
        return f"{weeks}-week" if not rest else f"{self.trial_days}-day"

    @property
    def interval_display(self) -> str:
        weeks, rest = divmod(self.interval_days, 7)
        if rest:
            return f"every {self.interval_days} days"
        return "every week" if weeks == 1 else f"every {weeks} weeks"

    @property
    def summary(self) -> str:
        payments = (
            "one payment" if self.installment_count == 1 else (f"{self.installment_count} payments")
        )
        return (
            f"Free for {self.trial_days} days, then {self.installment_display} "
            f"{self.interval_display}, {payments}, {self.total_display} in total."
        )


def trial_terms_for_product(product) -> TrialTerms | None:
    """The product's trial terms, or None when it is not sold on a trial."""
    try:
        offer = product.trial_offer
    except TrialOffer.DoesNotExist:
        return None
    return TrialTerms(
        product_title=product.get_title(),
        product_url=product.get_absolute_url(),
        trial_days=offer.trial_days,
        installment_count=offer.installment_count,
        installment_amount=offer.installment_amount,
        interval_days=offer.interval_days,
        currency=offer.currency,
        total=offer.total,
        available=product.is_public,
    )


@dataclass(frozen=True)
class ChargeLine:
    sequence: int
    due_on: date
    amount_display: str


@dataclass(frozen=True)
class TrialDisclosure:
    """Everything the checkout must say next to the button, computed for a start time."""

    terms: TrialTerms
    terms_shown_on: date
    trial_ends_on: date
    charges: tuple[ChargeLine, ...]
    with_trial: bool = True

    @property
    def first_charge_on(self) -> date:
        return self.charges[0].due_on

    @property
    def consent_text(self) -> str:
        t = self.terms
        schedule = " and ".join(
            f"{line.amount_display} on {long_date(line.due_on)}" for line in self.charges
        )
        first = self.first_charge_on
        if not self.with_trial:
            return (
                f"I agree to buy {t.product_title} without a free tryout and to be charged "
                f"{schedule} ({t.total_display} in total) on the card I enter."
            )
        return (
            f"I agree to a free {t.trial_days}-day tryout of {t.product_title}, after which my "
            f"card will be charged {schedule} ({t.total_display} in total), unless I press "
            f'"Quit {t.trial_display.title()} Tryout" in my account before '
            f"{long_date(first)}."
        )

    @property
    def immediate_access_text(self) -> str:
        return (
            f"I ask for immediate access to the download of {self.terms.product_title} and "
            "acknowledge that my 14-day right of withdrawal ends once the download starts. "
            "Quitting the tryout before the first payment remains possible at any time."
        )


def trial_disclosure(
    offer: TrialOffer, start: datetime, *, with_trial: bool = True
) -> TrialDisclosure:
    """The plan's dates and charges for a customer starting at ``start`` (UTC); without the
    tryout the first payment is taken at once."""
    terms = trial_terms_for_product(offer.product)
    if terms is None:
        raise TrialOffer.DoesNotExist(f"no trial offer for product {offer.product_id}")
    start_day = start.astimezone(UTC).date()
    trial_days = offer.trial_days if with_trial else 0
    charges = tuple(
        ChargeLine(
            sequence=n,
            due_on=start_day + timedelta(days=trial_days + offer.interval_days * (n - 1)),
            amount_display=terms.installment_display,
        )
        for n in range(1, offer.installment_count + 1)
    )
    return TrialDisclosure(
        terms=terms,
        terms_shown_on=start_day,
        trial_ends_on=start_day + timedelta(days=trial_days),
        charges=charges,
        with_trial=with_trial,
    )


class BasketNotTrialReady(RefusedWithMessage):
    """The basket cannot buy the tryout as it is; the message says what to change."""


def basket_trial_offer(basket) -> TrialOffer | None:
    """The trial offer a basket is buying, or None for an ordinary basket.

    Raises BasketNotTrialReady when a trial product is mixed with other lines or bought more
    than once, which the plan cannot represent."""
    lines = list(basket.all_lines().select_related("product__trial_offer"))
    offers = [line.product.trial_offer for line in lines if hasattr(line.product, "trial_offer")]
    if not offers:
        return None
    if len(lines) != 1 or lines[0].quantity != 1:
        raise BasketNotTrialReady(
            "The free tryout is bought on its own and once: please leave only one copy of "
            f"{offers[0].product.get_title()} in your basket."
        )
    return offers[0]


def program_plans_for(*, user, now: datetime) -> list[InstallmentPlan]:
    """ "My program": the customer's plans with their installments, each with what the page
    says about it (``cancel_access_end`` and whether it is ``cancel_ends_now``, when the
    download ends as things stand (``access_end``), when a failed payment is tried again
    (``retry_at``), the payment ``awaiting`` confirmation and its ``confirm_path``), in three
    queries whatever the number of plans."""
    plans = list(
        InstallmentPlan.objects.filter(user=user)
        .select_related("order", "product")
        .prefetch_related("charges")
    )
    for plan in plans:
        charges = plan.charges.all()
        # What "Cancel remaining payments" would mean for the download, said on the page.
        plan.cancel_access_end = plan_cancel_access_end(plan, now, charges)
        # Cancelling after the due date of the payment not taken leaves no period paid for.
        plan.cancel_ends_now = plan.cancel_access_end <= now
        plan.access_end = plan_access_ends_at(plan, charges)
        failed = min(
            (c for c in charges if c.status == ChargeStatus.FAILED),
            key=lambda c: c.due_at,
            default=None,
        )
        plan.retry_at = failed.next_attempt_at if failed is not None else None
        plan.awaiting = next(
            (c for c in charges if c.status == ChargeStatus.AWAITING_CONFIRMATION),
            None,
        )
        if plan.awaiting is not None:
            plan.confirm_path = confirm_link_path(plan.awaiting)
    return plans


@dataclass(frozen=True)
class OrderMoney:
    """What a customer has paid for an order, and what is still to come ("" for nothing)."""

    paid: str
    due_later: str


def order_money(order) -> OrderMoney:
    """The order history's money: a tryout's order is not paid at its price. Reads the
    order's plan and its installments, prefetched when listing orders."""
    try:
        plan = order.installment_plan
    except InstallmentPlan.DoesNotExist:
        # Sold outright: paid in full at checkout.
        return OrderMoney(
            paid=format_currency(order.total_incl_tax, order.currency, locale="en_US"),
            due_later="",
        )
    charges = plan.charges.all()
    paid = sum(
        c.amount_cents - c.refunded_cents
        for c in charges
        if c.status in (ChargeStatus.PAID, ChargeStatus.REFUNDED)
    )
    due = sum(c.amount_cents for c in charges if c.status in (*UNPAID, ChargeStatus.PROCESSING))

    def money(cents: int) -> str:
        return format_currency(
            from_minor_units(cents, plan.currency), plan.currency, locale="en_US"
        )

    return OrderMoney(paid=money(paid), due_later=money(due) if due else "")


@dataclass(frozen=True)
class BasketDue:
    """What a basket holding the program costs today and what follows: nothing today with
    the tryout; the first payment today for a customer who already had it."""

    terms: TrialTerms
    with_trial: bool

    @property
    def today_display(self) -> str:
        return self.terms.nothing_display if self.with_trial else self.terms.installment_display

    @property
    def later_count(self) -> int:
        return self.terms.installment_count - (0 if self.with_trial else 1)


def basket_due(basket) -> BasketDue | None:
    """The basket's program with what is due today, or None (an ordinary basket, or one the
    checkout will ask to change). The basket's owner's tryout is checked as checkout does;
    a visitor not signed in is told the tryout's terms."""
    try:
        offer = basket_trial_offer(basket)
    except BasketNotTrialReady:
        return None
    terms = trial_terms_for_product(offer.product) if offer is not None else None
    if offer is None or terms is None:
        return None
    owner = basket.owner
    if owner is None:
        return BasketDue(terms=terms, with_trial=True)
    try:
        trial_eligibility_check(product=offer.product, user=owner, email=owner.email)
    except TrialNotAllowed:
        return BasketDue(terms=terms, with_trial=False)
    return BasketDue(terms=terms, with_trial=True)
