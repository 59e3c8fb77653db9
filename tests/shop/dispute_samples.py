"""A disputed program written straight in the database (no Stripe): a tryout with its
consent, the $0 receipt and the reminders as sent and delivered, downloads, the first
payment taken and disputed. Names and texts hold accents and curly quotes on purpose."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from shop.billing.models import (
    ChargeStatus,
    Dispute,
    InstallmentPlan,
    OutgoingEmail,
    PlanStatus,
    TrialConsent,
)
from shop.downloads.models import DownloadKind, DownloadLog
from shop.emails.models import DeliveryEvent
from tests.shop.factories import InstallmentPlanFactory, ProgramFactory, UserFactory

STARTED = datetime(2026, 10, 1, 9, 30, tzinfo=UTC)
CONSENT_TEXT = (
    "I agree to a free 14-day tryout of Get Free from That Back Pain, after which my card "
    "will be charged $98.50 on October 15, 2026 and $98.50 on November 12, 2026 ($197.00 in "
    "total), unless I press “Quit 2-Week Tryout” in my account before October 15, 2026."
)
IMMEDIATE_TEXT = (
    "I ask for immediate access to the download of Get Free from That Back Pain and "
    "acknowledge that my 14-day right of withdrawal ends once the download starts."
)
IP = "203.0.113.57"
BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) Safari/605.1.15"
RECEIPT_SUBJECT = "Your free tryout has started — order confirmed"
RECEIPT_SENT = STARTED + timedelta(minutes=1)
REMINDER_SUBJECT = "Your tryout ends on October 15: $98.50 will be taken"
REMINDER_SENT = datetime(2026, 10, 8, 9, 31, tzinfo=UTC)
PAYMENT_REMINDER_SENT = datetime(2026, 11, 5, 9, 31, tzinfo=UTC)
DOWNLOAD_TITLE = "Lesson 1 – the gentle start"
DOWNLOAD_AT = STARTED + timedelta(hours=2)


@dataclass
class DisputedProgram:
    plan: InstallmentPlan
    dispute: Dispute


def _email(plan, *, code, key, subject, sent_at, message_id, body, with_plan=True):
    return OutgoingEmail.objects.create(
        order=plan.order,
        plan=plan if with_plan else None,
        code=code,
        key=key,
        created_at=sent_at - timedelta(seconds=5),
        sent_at=sent_at,
        attempts=1,
        to_address="",
        subject=subject,
        body_text=body,
        body_html=f"<p>{body}</p>",
        message_id=message_id,
    )


def disputed_program(
    *, quit: bool = False, status: str = "needs_response", due_by: datetime | None = None
) -> DisputedProgram:
    """A paid first payment, disputed as fraudulent; with ``quit=True`` the customer had
    quit the tryout (and was charged all the same, for the honest sentence). The evidence
    is due in ten days unless ``due_by`` says otherwise."""
    user = UserFactory(first_name="Zoë", last_name="Ångström", email="zoe@example.com")
    plan = InstallmentPlanFactory(
        user=user,
        product=ProgramFactory(),
        with_installments=True,
        status=PlanStatus.INSTALLMENT_PAID,
        trial_started_at=STARTED,
        trial_ends_at=STARTED + timedelta(days=14),
    )
    first = plan.charges.get(sequence=1)
    first.status = ChargeStatus.PAID
    first.paid_at = STARTED + timedelta(days=14, minutes=3)
    first.payment_intent_id = "pi_disputed_1"
    first.attempts = 1
    first.save()
    TrialConsent.objects.create(
        order=plan.order,
        text=CONSENT_TEXT,
        accepted_at=STARTED,
        ip_address=IP,
        user_agent=BROWSER,
        country="US",
        immediate_access_requested=True,
        immediate_access_text=IMMEDIATE_TEXT,
    )
    receipt = _email(
        plan,
        code="ORDER_PLACED",
        key="placed",
        subject=RECEIPT_SUBJECT,
        sent_at=RECEIPT_SENT,
        message_id="<receipt-1@mail.example.com>",
        body="Thank you, Zoë. Today you pay $0.00. Your tryout ends on October 15, 2026.",
        with_plan=False,
    )
    _email(
        plan,
        code="TRIAL_REMINDER",
        key="reminder",
        subject=REMINDER_SUBJECT,
        sent_at=REMINDER_SENT,
        message_id="<reminder-1@mail.example.com>",
        body="Your free tryout ends on October 15, 2026. Quit with one click: https://x/q/",
    )
    _email(
        plan,
        code="PAYMENT_REMINDER",
        key="payment-2",
        subject="Payment 2 of 2 on November 12",
        sent_at=PAYMENT_REMINDER_SENT,
        message_id="<reminder-2@mail.example.com>",
        body="Your second payment of $98.50 is taken on November 12, 2026.",
    )
    DeliveryEvent.objects.create(
        event_id="ev-receipt-delivered",
        provider="postmark",
        kind=DeliveryEvent.Kind.DELIVERED,
        message_id=receipt.message_id,
        recipient=user.email,
        occurred_at=RECEIPT_SENT + timedelta(seconds=4),
    )
    DeliveryEvent.objects.create(
        event_id="ev-reminder-delivered",
        provider="postmark",
        kind=DeliveryEvent.Kind.DELIVERED,
        message_id="<reminder-1@mail.example.com>",
        recipient=user.email,
        occurred_at=REMINDER_SENT + timedelta(seconds=3),
    )
    DownloadLog.objects.create(
        user=user,
        product=plan.product,
        file_title=DOWNLOAD_TITLE,
        downloaded_at=DOWNLOAD_AT,
        ip_address="198.51.100.23",
        user_agent=BROWSER,
        kind=DownloadKind.DOWNLOAD,
    )
    if quit:
        plan.events.create(
            kind="trial_quit",
            actor_label="customer",
            note="Quit from My program.",
        )
    dispute = Dispute.objects.create(
        dispute_id="dp_sample_1",
        plan=plan,
        charge=first,
        payment_intent_id=first.payment_intent_id,
        stripe_charge_id="ch_sample_1",
        amount_cents=9850,
        currency="USD",
        reason="fraudulent",
        status=status,
        evidence_due_by=due_by or timezone.now().replace(microsecond=0) + timedelta(days=10),
        opened_at=datetime(2026, 11, 29, 12, 0, tzinfo=UTC),
        last_event_at=datetime(2026, 11, 29, 12, 0, tzinfo=UTC),
    )
    return DisputedProgram(plan=plan, dispute=dispute)
