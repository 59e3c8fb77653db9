"""Disputed payments (chargebacks): recorded from Stripe's webhooks, the evidence card
networks ask for gathered from what the shop already keeps, and sent to Stripe once.

Stripe reports a dispute in several events (created, updated, funds withdrawn or reinstated,
closed) that may arrive late, twice or out of order: each is applied to the one ``Dispute``
row of its id under that row's lock, and an event older than the newest applied changes
nothing. The evidence is read, never stored: what the customer agreed to, the emails they
got, what they downloaded, that they did not quit, and what they paid."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from shop import gateway
from shop.billing.dispute_pdf import dispute_pdf
from shop.billing.emails import ORDER_PLACED
from shop.billing.models import (
    Dispute,
    InstallmentPlan,
    OutgoingEmail,
    PlanEvent,
    PlanStatus,
    ScheduledCharge,
    TrialConsent,
)
from shop.billing.money import CurrencyNotHandled
from shop.billing.templatetags.money_tags import cents_as_money
from shop.billing.transitions import Move
from shop.billing.transitions import event_record as plan_event_record
from shop.checkout.models import CheckoutPayment
from shop.downloads.models import DownloadLog
from shop.emails.delivery import delivery_states
from shop.errors import RefusedWithMessage
from web.dates import long_date, long_datetime

logger = logging.getLogger(__name__)

# The webhook events that tell of a dispute; each carries the whole dispute object.
DISPUTE_EVENTS = (
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
)

# Stripe's statuses, in the author's words.
STATUS_LABELS = {
    "warning_needs_response": "Inquiry: needs a response",
    "warning_under_review": "Inquiry under review",
    "warning_closed": "Inquiry closed",
    "needs_response": "Needs a response",
    "under_review": "Evidence under review",
    "won": "Won",
    "lost": "Lost",
}
# Stripe still takes evidence in these.
OPEN_FOR_EVIDENCE = frozenset({"needs_response", "warning_needs_response"})
CLOSED = frozenset({"won", "lost", "warning_closed"})

REASON_LABELS = {
    "fraudulent": "Fraudulent (the cardholder says they did not make it)",
    "subscription_canceled": "Cancelled (the cardholder says they cancelled)",
    "product_not_received": "Product not received",
    "product_unacceptable": "Product unacceptable",
    "unrecognized": "Unrecognised payment",
    "duplicate": "Duplicate payment",
    "credit_not_processed": "Refund not processed",
    "general": "General",
}

# The emails a dispute's evidence shows: the $0 receipt and every reminder.
REMINDER_CODES = ("TRIAL_REMINDER", "PAYMENT_REMINDER")
EMAIL_TITLES = {
    ORDER_PLACED: "Order confirmation (the $0 receipt)",
    "TRIAL_REMINDER": "Reminder before the tryout ends",
    "PAYMENT_REMINDER": "Reminder before a payment",
}
# Downloads listed in the evidence, oldest first; the total is always given.
DOWNLOADS_LISTED = 200
# The longest text sent in one of Stripe's evidence fields (the PDF holds everything).
EVIDENCE_FIELD_CHARACTERS = 10_000
# A send to Stripe that died half-way may be started again after this.
SUBMIT_LEASE = timedelta(minutes=10)


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize() or "–")


def reason_label(reason: str) -> str:
    return REASON_LABELS.get(reason, reason.replace("_", " ").capitalize() or "No reason given")


def money(cents: int, currency: str) -> str:
    """The amount as the shop writes it; in a currency the shop does not sell in (Stripe
    may report one), as plain units and code."""
    try:
        return cents_as_money(cents, currency)
    except CurrencyNotHandled:
        return f"{cents} {currency or '(no currency)'} (smallest units)"


def _id_of(value) -> str:
    if isinstance(value, dict):
        value = value.get("id")
    return str(value or "")


def _when(timestamp) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(timestamp), tz=UTC) if timestamp else None
    except (TypeError, ValueError, OverflowError, OSError):
        return None


# Recording


def _payment_named(intent_id: str) -> ScheduledCharge | None:
    if not intent_id:
        return None
    return (
        ScheduledCharge.objects.select_related("plan", "plan__order")
        .filter(payment_intent_id=intent_id)
        .first()
    )


def _dispute_locked(dispute_id: str, fields: dict) -> tuple[Dispute, bool]:
    """The dispute's row, locked, created from ``fields`` when it is new."""
    dispute = Dispute.objects.select_for_update().filter(dispute_id=dispute_id).first()
    if dispute is not None:
        return dispute, False
    try:
        with transaction.atomic():
            return Dispute.objects.create(dispute_id=dispute_id, **fields), True
    except IntegrityError:
        # Another event of the same dispute created it meanwhile.
        return Dispute.objects.select_for_update().get(dispute_id=dispute_id), False


def dispute_record(*, event: gateway.WebhookEvent) -> str:
    """Create or update the one ``Dispute`` an event of ``DISPUTE_EVENTS`` tells of, linked
    to the installment it disputes; returns what was done, for the event's record.

    The payment is found by the dispute's PaymentIntent, or through its charge when only
    that is given (asking Stripe). An event older than the newest applied changes nothing.
    A new dispute is noted on the plan and told to the author once the transaction commits."""
    obj = event.object
    dispute_id = _id_of(obj.get("id"))
    if obj.get("object") != "dispute" or not dispute_id:
        return "not a dispute"
    intent_id = _id_of(obj.get("payment_intent"))
    stripe_charge_id = _id_of(obj.get("charge"))
    known = Dispute.objects.filter(dispute_id=dispute_id).values("payment_intent_id").first()
    if not intent_id and known:
        intent_id = known["payment_intent_id"]
    if not intent_id and stripe_charge_id:
        # Outside any transaction: no row stays locked while Stripe answers.
        intent_id = gateway.charge_payment_intent_id(stripe_charge_id) or ""
    details = obj.get("evidence_details") or {}
    fields = {
        "amount_cents": int(obj.get("amount") or 0),
        "currency": str(obj.get("currency") or "").upper()[:3],
        "reason": str(obj.get("reason") or "")[:64],
        "status": str(obj.get("status") or "")[:64],
        "evidence_due_by": _when(details.get("due_by")),
    }
    with transaction.atomic():
        installment = _payment_named(intent_id)
        if installment is not None:
            # Stripe always sends both; a body without them takes the payment's own.
            fields["amount_cents"] = fields["amount_cents"] or installment.amount_cents
            fields["currency"] = fields["currency"] or installment.currency
        dispute, created = _dispute_locked(
            dispute_id,
            {
                **fields,
                "status": fields["status"] or "needs_response",
                "payment_intent_id": intent_id,
                "stripe_charge_id": stripe_charge_id,
                "plan": installment.plan if installment else None,
                "charge": installment,
                "opened_at": _when(obj.get("created")) or event.created,
                "last_event_at": event.created,
            },
        )
        if created:
            _opened_note(dispute, event)
            transaction.on_commit(lambda: dispute_author_notify(dispute_pk=dispute.pk), robust=True)
            return "dispute recorded" if installment else "dispute on an unknown payment"
        if dispute.last_event_at and event.created < dispute.last_event_at:
            return "older than the dispute as recorded: nothing changed"
        if (
            dispute.last_event_at == event.created
            and dispute.status in CLOSED
            and fields["status"] not in CLOSED
        ):
            # Same second: a closed dispute does not reopen on an event of that second.
            return "older than the dispute as recorded: nothing changed"
        was_closed = dispute.status in CLOSED
        for name, value in fields.items():
            # Stripe sends the whole dispute each time; a part missing keeps what is known.
            if value not in (None, "", 0):
                setattr(dispute, name, value)
        dispute.last_event_at = event.created
        if not dispute.payment_intent_id and intent_id:
            dispute.payment_intent_id = intent_id
        if not dispute.stripe_charge_id and stripe_charge_id:
            dispute.stripe_charge_id = stripe_charge_id
        if dispute.charge_id is None and installment is not None:
            dispute.charge, dispute.plan = installment, installment.plan
        dispute.save()
        if dispute.status in CLOSED and not was_closed and dispute.plan is not None:
            plan_event_record(
                plan=dispute.plan,
                kind="dispute_closed",
                actor_label="stripe",
                note=f"The dispute of {_payment_words(dispute)} closed: "
                f"{status_label(dispute.status)}.",
                data={"dispute": dispute.dispute_id, "event": event.id},
            )
    return f"dispute updated: {dispute.status}"


def _payment_words(dispute: Dispute) -> str:
    charge = dispute.charge
    if charge is None:
        return f"a payment of {money(dispute.amount_cents, dispute.currency)}"
    return f"payment {charge.sequence} of {dispute.plan.installment_count}" if dispute.plan else ""


def _opened_note(dispute: Dispute, event: gateway.WebhookEvent) -> None:
    if dispute.plan is None:
        logger.warning("dispute %s on an unknown payment", dispute.dispute_id)
        return
    due = f"respond by {long_date(dispute.evidence_due_by)}" if dispute.evidence_due_by else ""
    plan_event_record(
        plan=dispute.plan,
        kind="dispute_opened",
        actor_label="stripe",
        note=f"The customer disputed {_payment_words(dispute)} "
        f"({money(dispute.amount_cents, dispute.currency)}, "
        f"{reason_label(dispute.reason)}){': ' + due if due else ''}. "
        "The evidence is ready under Shop → Disputes.",
        data={"dispute": dispute.dispute_id, "event": event.id},
    )


def dispute_watchers() -> list[str]:
    """Who hears of a new dispute: the staff who may send its evidence, and
    ``SHOP_NOTIFICATIONS_EMAIL`` when set."""
    users = get_user_model().objects.with_perm(
        "billing.submit_dispute_evidence",
        is_active=True,
        backend="django.contrib.auth.backends.ModelBackend",
    )
    emails = {email for email in users.values_list("email", flat=True) if email}
    if settings.SHOP_NOTIFICATIONS_EMAIL:
        emails.add(settings.SHOP_NOTIFICATIONS_EMAIL)
    return sorted(emails)


def dispute_author_notify(*, dispute_pk: int) -> bool:
    """Tell the author a payment was disputed, with the deadline and the page holding the
    evidence. Called after the dispute's first record commits, so once per dispute; a mail
    failure is logged (the dispute shows in the back office all the same)."""
    dispute = Dispute.objects.select_related("plan__order", "plan__user").get(pk=dispute_pk)
    recipients = dispute_watchers()
    if not recipients:
        logger.warning("dispute %s: nobody to tell", dispute.dispute_id)
        return False
    page = settings.SITE_URL + reverse("disputes:inspect", args=[dispute.pk])
    due = long_datetime(dispute.evidence_due_by) if dispute.evidence_due_by else "not given"
    order = f"order {dispute.plan.order.number}" if dispute.plan else "a payment not in the shop"
    lines = [
        f"A customer disputed a payment with their bank: {order}.",
        "",
        f"Amount: {money(dispute.amount_cents, dispute.currency)}",
        f"Reason given: {reason_label(dispute.reason)}",
        f"Respond by: {due}",
        "",
        "The evidence (the offer, the consent, the emails, the downloads, the payments) is "
        "ready to read, download as a PDF and send to Stripe:",
        page,
    ]
    try:
        send_mail(
            subject=f"A payment was disputed: respond by {due}",
            message="\n".join(lines),
            from_email=None,
            recipient_list=recipients,
        )
    except Exception:
        logger.exception("dispute %s: the author could not be told", dispute.dispute_id)
        return False
    return True


# The evidence


@dataclass(frozen=True)
class EmailEvidence:
    """One email as the customer was sent it, and what the provider said of its delivery."""

    title: str
    code: str
    subject: str
    to_address: str
    written_at: datetime
    sent_at: datetime | None
    delivery: str
    delivery_at: datetime | None
    delivered_at: datetime | None
    body_text: str


@dataclass(frozen=True)
class DownloadEvidence:
    at: datetime
    file_title: str
    kind: str
    ip_address: str
    user_agent: str


@dataclass(frozen=True)
class PaymentEvidence:
    sequence: int
    count: int
    due_at: datetime
    paid_at: datetime | None
    amount_cents: int
    currency: str
    status: str
    payment_intent_id: str
    refunded_cents: int
    disputed: bool


@dataclass(frozen=True)
class RefundEvidence:
    requested_at: datetime
    sequence: int
    amount_cents: int
    currency: str
    reason: str
    status: str
    stripe_refund_id: str


@dataclass(frozen=True)
class DisputeEvidence:
    """Everything a card network asks for about one disputed payment, as the shop kept it."""

    dispute: Dispute
    plan: InstallmentPlan | None
    customer_name: str
    customer_email: str
    order_number: str
    product_title: str
    placed_at: datetime | None
    offer: tuple[str, ...]
    consent: TrialConsent | None
    receipt: EmailEvidence | None
    reminders: tuple[EmailEvidence, ...]
    downloads: tuple[DownloadEvidence, ...]
    downloads_total: int
    quit: bool
    quit_statement: str
    payments: tuple[PaymentEvidence, ...]
    refunds: tuple[RefundEvidence, ...]

    @property
    def amount(self) -> str:
        return money(self.dispute.amount_cents, self.dispute.currency)

    @property
    def reason(self) -> str:
        return reason_label(self.dispute.reason)

    @property
    def status(self) -> str:
        return status_label(self.dispute.status)

    @property
    def due_by(self) -> datetime | None:
        return self.dispute.evidence_due_by

    @property
    def overdue(self) -> bool:
        return dispute_overdue(self.dispute)


def dispute_overdue(dispute: Dispute, *, now: datetime | None = None) -> bool:
    """Still waiting for evidence after its deadline."""
    now = now or timezone.now()
    return (
        dispute.status in OPEN_FOR_EVIDENCE
        and dispute.evidence_submitted_at is None
        and dispute.evidence_due_by is not None
        and dispute.evidence_due_by <= now
    )


def _emails(plan: InstallmentPlan) -> tuple[EmailEvidence | None, tuple[EmailEvidence, ...]]:
    # One plan per order: the order's emails are the plan's, the receipt included.
    emails = list(
        OutgoingEmail.objects.filter(
            order_id=plan.order_id, code__in=(ORDER_PLACED, *REMINDER_CODES)
        ).order_by("created_at", "pk")
    )
    states = delivery_states(email.message_id for email in emails)
    customer = plan.user.email
    found = []
    for email in emails:
        state = states.get(email.message_id)
        found.append(
            EmailEvidence(
                title=EMAIL_TITLES.get(email.code, email.code),
                code=email.code,
                subject=email.subject,
                to_address=email.to_address or customer,
                written_at=email.created_at,
                sent_at=email.sent_at,
                delivery=state.label if state else "No delivery report",
                delivery_at=state.at if state else None,
                delivered_at=state.delivered_at if state else None,
                body_text=email.body_text,
            )
        )
    receipt = next((email for email in found if email.code == ORDER_PLACED), None)
    return receipt, tuple(email for email in found if email.code != ORDER_PLACED)


def _offer(plan: InstallmentPlan, charges: list[ScheduledCharge]) -> tuple[str, ...]:
    """The terms the customer bought on, from the plan (written from the signed terms)."""
    each = cents_as_money(plan.installment_amount_cents, plan.currency)
    total = cents_as_money(plan.total_cents, plan.currency)
    lines = []
    if plan.with_trial:
        days = (plan.trial_ends_at - plan.trial_started_at).days
        lines.append(
            f"A free {days}-day tryout from {long_datetime(plan.trial_started_at)} to "
            f"{long_datetime(plan.trial_ends_at)}, with the card saved and "
            f"{cents_as_money(0, plan.currency)} charged at checkout."
        )
    else:
        lines.append("Bought without a free tryout: the first payment taken at checkout.")
    schedule = ", ".join(
        f"{cents_as_money(charge.amount_cents, charge.currency)} on {long_date(charge.due_at)}"
        for charge in charges
    )
    lines.append(
        f"Then {plan.installment_count} payments of {each}, every {plan.interval_days} days, "
        f"{total} in total{': ' + schedule if schedule else ''}."
    )
    if plan.with_trial:
        lines.append(
            "Quitting the tryout before the first payment (in “My program”, or with the "
            "one-click link in the reminder) charges nothing."
        )
    checkout = CheckoutPayment.objects.filter(order_id=plan.order_id).first()
    if checkout is not None and checkout.terms:
        terms = checkout.terms
        dates = ", ".join(terms.get("dates") or [])
        lines.append(
            f"The checkout's signed terms: {terms.get('count')} payments of "
            f"{money(int(terms.get('amount_cents') or 0), terms.get('currency', ''))} "
            f"every {terms.get('interval_days')} days{', due ' + dates if dates else ''}."
        )
    return tuple(lines)


def _quit(plan: InstallmentPlan, events: list[PlanEvent]) -> tuple[bool, str]:
    """Whether the tryout was quit, and the sentence that says so, from the plan's events."""
    quit_event = next((event for event in events if event.kind == Move.TRIAL_QUIT), None)
    cancelled = next((event for event in events if event.kind == Move.PAYMENTS_CANCELLED), None)
    later = ""
    if cancelled is not None:
        later = (
            f" The remaining payments were cancelled on {long_datetime(cancelled.created_at)} "
            f"(by the {cancelled.actor_label})."
        )
    if quit_event is not None or plan.status == PlanStatus.TRIAL_QUIT:
        when = long_datetime(quit_event.created_at) if quit_event else "a date not recorded"
        return True, (
            f"The customer quit the tryout on {when} (by the "
            f"{quit_event.actor_label if quit_event else 'customer'}); no payment was due "
            "after that." + later
        )
    if not plan.with_trial:
        return False, (
            "This program was bought without a free tryout, so there was no tryout to quit; "
            "the first payment was agreed to and taken at checkout." + later
        )
    return False, (
        f"The tryout was not quit: it ran from {long_datetime(plan.trial_started_at)} to "
        f"{long_datetime(plan.trial_ends_at)}, and no quit was recorded, neither in "
        "“My program” nor through the reminder's one-click link, though both stayed open "
        "until the tryout's end." + later
    )


def dispute_evidence(dispute: Dispute) -> DisputeEvidence:
    """The evidence for ``dispute``: the offer and consent as shown and given, the $0
    receipt and every reminder with their delivery, the download log, whether the tryout
    was quit, the payments and refunds, the customer and the order (a few queries)."""
    plan = (
        InstallmentPlan.objects.select_related("order", "user", "product")
        .filter(pk=dispute.plan_id)
        .first()
        if dispute.plan_id is not None
        else None
    )
    if plan is None:
        return DisputeEvidence(
            dispute=dispute,
            plan=None,
            customer_name="",
            customer_email="",
            order_number="",
            product_title="",
            placed_at=None,
            offer=(),
            consent=None,
            receipt=None,
            reminders=(),
            downloads=(),
            downloads_total=0,
            quit=False,
            quit_statement="This payment is not one of the shop's programs: no evidence kept.",
            payments=(),
            refunds=(),
        )
    charges = list(plan.charges.order_by("sequence"))
    receipt, reminders = _emails(plan)
    logs = DownloadLog.objects.filter(user_id=plan.user_id, product_id=plan.product_id)
    downloads = [
        DownloadEvidence(
            at=log.downloaded_at,
            file_title=log.file_title,
            kind=log.get_kind_display() + (" (resumed)" if log.resumed else ""),
            ip_address=log.ip_address or "",
            user_agent=log.user_agent,
        )
        for log in logs.order_by("downloaded_at", "pk")[:DOWNLOADS_LISTED]
    ]
    quit, statement = _quit(plan, list(plan.events.all()))
    return DisputeEvidence(
        dispute=dispute,
        plan=plan,
        customer_name=plan.user.get_full_name(),
        customer_email=plan.user.email,
        order_number=plan.order.number,
        product_title=plan.product.get_title(),
        placed_at=plan.order.date_placed,
        offer=_offer(plan, charges),
        consent=TrialConsent.objects.filter(order_id=plan.order_id).first(),
        receipt=receipt,
        reminders=reminders,
        downloads=tuple(downloads),
        downloads_total=logs.count() if len(downloads) == DOWNLOADS_LISTED else len(downloads),
        quit=quit,
        quit_statement=statement,
        payments=tuple(
            PaymentEvidence(
                sequence=charge.sequence,
                count=plan.installment_count,
                due_at=charge.due_at,
                paid_at=charge.paid_at,
                amount_cents=charge.amount_cents,
                currency=charge.currency,
                status=charge.get_status_display(),
                payment_intent_id=charge.payment_intent_id,
                refunded_cents=charge.refunded_cents,
                disputed=charge.pk == dispute.charge_id,
            )
            for charge in charges
        ),
        refunds=tuple(
            RefundEvidence(
                requested_at=refund.created_at,
                sequence=refund.charge.sequence,
                amount_cents=refund.amount_cents,
                currency=refund.currency,
                reason=refund.get_reason_display(),
                status=refund.get_status_display(),
                stripe_refund_id=refund.stripe_refund_id,
            )
            for refund in plan.refunds.select_related("charge")
        ),
    )


# Sending the evidence to Stripe


class EvidenceNotSent(RefusedWithMessage):
    """The evidence cannot be sent; the message says why (nothing was marked sent)."""


def _stripe_evidence(evidence: DisputeEvidence, file_id: str) -> dict[str, str]:
    """Stripe's evidence fields, filled from the pack (the PDF holds it all, in full)."""
    plan = evidence.plan
    fields = {"uncategorized_file": file_id}
    if plan is None:
        return fields
    consent = evidence.consent
    fields.update(
        customer_email_address=evidence.customer_email,
        customer_name=evidence.customer_name or evidence.customer_email,
        product_description=f"{evidence.product_title}, a digital exercise program "
        f"(downloads and streams), order {evidence.order_number}. " + " ".join(evidence.offer),
        service_date=plan.trial_started_at.date().isoformat(),
        access_activity_log="\n".join(
            f"{long_datetime(d.at)}: {d.kind} of “{d.file_title}” from {d.ip_address or '–'}"
            for d in evidence.downloads[:60]
        )
        or "Nothing downloaded or played.",
        cancellation_policy_disclosure=(consent.text if consent else " ".join(evidence.offer)),
        cancellation_rebuttal=evidence.quit_statement,
        refund_policy_disclosure=(
            consent.immediate_access_text
            if consent and consent.immediate_access_text
            else "Refunds are made on request by the author."
        ),
        uncategorized_text=_summary_text(evidence),
    )
    if consent is not None and consent.ip_address:
        fields["customer_purchase_ip"] = consent.ip_address
    # Stripe takes at most 150,000 characters of text in all: each field kept well under.
    return {name: value[:EVIDENCE_FIELD_CHARACTERS] for name, value in fields.items()}


def _summary_text(evidence: DisputeEvidence) -> str:
    lines = []
    if evidence.consent is not None:
        c = evidence.consent
        address = c.ip_address or "an unknown address"
        lines.append(
            f"Consent given {long_datetime(c.accepted_at)} from {address} "
            f"({c.country or 'country unknown'}), browser “{c.user_agent or '–'}”."
        )
    for email in filter(None, (evidence.receipt, *evidence.reminders)):
        sent = long_datetime(email.sent_at) if email.sent_at else "not sent"
        lines.append(
            f"{email.title} “{email.subject}” to {email.to_address}: sent {sent}, "
            f"{email.delivery.lower()}"
            + (f" {long_datetime(email.delivery_at)}" if email.delivery_at else "")
            + "."
        )
    lines.append(f"Downloads and plays: {evidence.downloads_total}.")
    lines.append(evidence.quit_statement)
    for payment in evidence.payments:
        lines.append(
            f"Payment {payment.sequence} of {payment.count}: "
            f"{cents_as_money(payment.amount_cents, payment.currency)}, {payment.status}"
            + (f" {long_date(payment.paid_at)}" if payment.paid_at else "")
            + (f" ({payment.payment_intent_id})" if payment.payment_intent_id else "")
            + "."
        )
    lines.append("The attached PDF holds every item in full.")
    return "\n".join(lines)


def dispute_evidence_submit(*, dispute_pk: int, actor) -> Dispute:
    """Send the dispute's evidence to Stripe: the PDF uploaded, Stripe's evidence fields
    filled, and submitted. Once: the dispute is claimed (marked sent, by ``actor``) before
    Stripe is asked, so a second click or a second author finds it sent; any refusal
    releases the claim and raises ``EvidenceNotSent`` (or the gateway's error) with a
    message to show."""
    now = timezone.now()
    claimable = Q(evidence_submitted_at__isnull=True) | Q(
        evidence_file_id="", evidence_submitted_at__lt=now - SUBMIT_LEASE
    )
    claimed = (
        Dispute.objects.filter(claimable, pk=dispute_pk, status__in=OPEN_FOR_EVIDENCE)
        .filter(Q(evidence_due_by__isnull=True) | Q(evidence_due_by__gt=now))
        .update(evidence_submitted_at=now, evidence_submitted_by=actor)
    )
    if not claimed:
        dispute = Dispute.objects.select_related("evidence_submitted_by").get(pk=dispute_pk)
        raise EvidenceNotSent(dispute_refusal(dispute, now=now))
    dispute = Dispute.objects.get(pk=dispute_pk)

    def release():
        Dispute.objects.filter(pk=dispute_pk, evidence_file_id="").update(
            evidence_submitted_at=None, evidence_submitted_by=None
        )

    try:
        evidence = dispute_evidence(dispute)
        file_id = gateway.dispute_file_upload(
            file_name=f"evidence-{dispute.dispute_id}.pdf", content=dispute_pdf(evidence)
        )
        answer = gateway.dispute_evidence_submit(
            dispute_id=dispute.dispute_id,
            evidence=_stripe_evidence(evidence, file_id),
            idempotency_key=f"dispute-evidence-{dispute.dispute_id}-{file_id}",
        )
    except gateway.GatewayError as err:
        release()
        logger.warning("dispute %s: evidence not sent (%s)", dispute.dispute_id, err.code)
        raise
    except Exception:
        release()
        raise
    Dispute.objects.filter(pk=dispute_pk).update(
        evidence_file_id=file_id, status=answer.status[:64] or dispute.status
    )
    dispute.refresh_from_db()
    if dispute.plan is not None:
        plan_event_record(
            plan=dispute.plan,
            kind="dispute_evidence_sent",
            actor=actor,
            actor_label="author",
            note=f"The evidence of the dispute of {_payment_words(dispute)} was sent to Stripe.",
            data={"dispute": dispute.dispute_id, "file": file_id},
        )
    return dispute


def dispute_refusal(dispute: Dispute, *, now: datetime | None = None) -> str:
    """Why the evidence of ``dispute`` cannot be sent now, or "" when it can."""
    now = now or timezone.now()
    if dispute.evidence_submitted_at is not None:
        who = dispute.evidence_submitted_by
        by = f" by {who.get_full_name() or who.email}" if who else ""
        since = long_datetime(dispute.evidence_submitted_at)
        if not dispute.evidence_file_id:
            return (
                f"The evidence is being sent to Stripe (started {since}{by}). "
                "Reload this page in a minute."
            )
        return f"The evidence was sent to Stripe on {since}{by}."
    if dispute.status not in OPEN_FOR_EVIDENCE:
        return f"Stripe takes no evidence for this dispute: it is “{status_label(dispute.status)}”."
    if dispute.evidence_due_by is not None and dispute.evidence_due_by <= now:
        return (
            f"The deadline for evidence passed on {long_datetime(dispute.evidence_due_by)}: "
            "Stripe no longer takes it."
        )
    return ""
