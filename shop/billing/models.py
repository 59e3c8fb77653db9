from datetime import date, datetime, timedelta
from decimal import Decimal

from babel.numbers import format_currency
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from shop.billing.money import CurrencyNotHandled, amount_problem, currency_decimals


class TrialOffer(models.Model):
    """The terms on which a program is sold: a free tryout, then equal installments.

    The total is derived (installments × amount), never typed in, so it cannot disagree."""

    product = models.OneToOneField(
        "catalogue.Product", on_delete=models.CASCADE, related_name="trial_offer"
    )
    trial_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="Days of free tryout before the first charge.",
    )
    installment_count = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text="How many payments in all.",
    )
    installment_amount = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.50"))],
        help_text="The amount of each payment.",
    )
    interval_days = models.PositiveSmallIntegerField(
        default=28,
        validators=[MinValueValidator(7), MaxValueValidator(366)],
        help_text="Days between payments (28 = every 4 weeks).",
    )
    currency = models.CharField(max_length=3, default=settings.OSCAR_DEFAULT_CURRENCY)
    sell_without_trial = models.BooleanField(
        default=False,
        help_text=(
            "Let customers who already had their free tryout buy on the same installments, "
            "the first payment taken at once."
        ),
    )

    class Meta:
        verbose_name = "trial offer"

    def __str__(self):
        return f"{self.product}: {self.installment_count} × {self.installment_amount}"

    @property
    def total(self) -> Decimal:
        return self.installment_amount * self.installment_count

    def charge_dates(self, start: date) -> list[date]:
        """Dates of each payment for a tryout starting on ``start``."""
        first = start + timedelta(days=self.trial_days)
        return [
            first + timedelta(days=self.interval_days * i) for i in range(self.installment_count)
        ]

    def clean(self):
        errors = {}
        if self.installment_count is not None and self.installment_count < 1:
            errors["installment_count"] = "There must be at least one payment."
        if self.installment_amount is not None and self.installment_amount <= 0:
            errors["installment_amount"] = "The amount of each payment must be above zero."
        if self.currency and (len(self.currency) != 3 or not self.currency.isalpha()):
            errors["currency"] = "Use a three-letter currency code such as USD."
        elif self.currency:
            try:
                currency_decimals(self.currency)
            except CurrencyNotHandled as exc:
                errors["currency"] = str(exc)
            else:
                if self.installment_amount is not None and "installment_amount" not in errors:
                    problem = amount_problem(self.installment_amount, self.currency)
                    if problem:
                        errors["installment_amount"] = problem
        if errors:
            raise ValidationError(errors)
        self.currency = self.currency.upper()

    def validate_against_price(self, price: Decimal, currency: str) -> None:
        """Refuse terms that would charge more or less than the product's price, or in
        another currency: the reader pays exactly the price shown on the product page."""
        currency = currency.upper()
        if (self.currency or "").upper() != currency:
            raise ValidationError(
                {
                    "currency": f"The product's price is in {currency}: "
                    f"charge the payments in {currency} too."
                }
            )
        if self.total != price:

            def money(amount):
                return format_currency(amount, currency, locale="en_US")

            count = self.installment_count
            payments = "1 payment" if count == 1 else f"{count} payments"
            verb = "makes" if count == 1 else "make"
            raise ValidationError(
                {
                    "installment_amount": f"The product's price is {money(price)}, but "
                    f"{payments} of {money(self.installment_amount)} {verb} "
                    f"{money(self.total)}: make them add up."
                }
            )


class StripeCustomer(models.Model):
    """The Stripe customer that holds a site user's saved cards."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="stripe_customer"
    )
    customer_id = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.customer_id


class PlanStatus(models.TextChoices):
    """Where an installment plan stands."""

    TRIALING = "trialing", "Free tryout"
    INSTALLMENT_PAID = "installment_paid", "Payments under way"
    PAID_IN_FULL = "paid_in_full", "Paid in full"
    TRIAL_QUIT = "trial_quit", "Tryout quit"
    PAYMENT_FAILED = "payment_failed", "Payment failed"
    CONFIRMATION_NEEDED = "confirmation_needed", "Confirmation needed"
    CANCELLED = "cancelled", "Cancelled"
    REFUNDED = "refunded", "Refunded"


class ChargeStatus(models.TextChoices):
    """Where one installment stands."""

    SCHEDULED = "scheduled", "Scheduled"
    PROCESSING = "processing", "Processing"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed"
    # The bank asked the cardholder to confirm the charge (3-D Secure): its one
    # PaymentIntent waits for them; nothing is retried off-session meanwhile.
    AWAITING_CONFIRMATION = "awaiting_confirmation", "Awaiting confirmation"
    CANCELLED = "cancelled", "Cancelled"
    REFUNDED = "refunded", "Refunded"


class RefundStatus(models.TextChoices):
    """Where money given back on one payment stands."""

    REQUESTED = "requested", "Requested"
    SUCCEEDED = "succeeded", "Refunded"
    FAILED = "failed", "Refused by Stripe"


class InstallmentPlan(models.Model):
    """What a customer agreed to at checkout: a free tryout, then scheduled charges."""

    order = models.OneToOneField(
        "order.Order", on_delete=models.PROTECT, related_name="installment_plan"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="installment_plans"
    )
    product = models.ForeignKey("catalogue.Product", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=32, choices=PlanStatus, default=PlanStatus.TRIALING)
    with_trial = models.BooleanField(default=True)
    trial_started_at = models.DateTimeField()
    trial_ends_at = models.DateTimeField()
    currency = models.CharField(max_length=3)
    installment_amount_cents = models.PositiveIntegerField()
    installment_count = models.PositiveSmallIntegerField()
    interval_days = models.PositiveSmallIntegerField()
    total_cents = models.PositiveIntegerField()
    stripe_customer_id = models.CharField(max_length=255)
    stripe_payment_method_id = models.CharField(max_length=255)
    # One plan per confirmed SetupIntent: a repeated "Start" cannot make a second plan.
    stripe_setup_intent_id = models.CharField(max_length=255, unique=True)
    card_fingerprint = models.CharField(max_length=64, blank=True)
    card_brand = models.CharField(max_length=32, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Billing lifecycle (shop.billing.scheduler): the reminder, suspension and access end.
    reminder_sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the end-of-tryout reminder was sent."
    )
    suspended_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Retries exhausted: no more charges; the download ended at this time.",
    )
    access_ends_at = models.DateTimeField(
        null=True, blank=True, help_text="For a cancelled or refunded plan: when its download ends."
    )
    # Not stored: set on the plans of "My program" by shop.billing.selectors.program_plans_for.
    cancel_access_end: datetime
    cancel_ends_now: bool
    access_end: datetime | None
    retry_at: datetime | None
    awaiting: "ScheduledCharge | None"
    confirm_path: str

    class Meta:
        ordering = ["-created_at"]
        # The author's actions on the dashboard order page, one each, given to staff in
        # Django's admin (superusers hold them all).
        permissions = [
            ("refund_installment", "Can refund an installment"),
            ("cancel_payments", "Can cancel the remaining payments"),
            ("retry_payment", "Can retry a failed payment now"),
            ("resend_confirmation", "Can send the confirmation email again"),
            # The sales report and the CMS dashboard's figures: money, so not for editors.
            ("view_sales", "Can see how the program sells"),
        ]

    def __str__(self):
        return f"Plan for order {self.order.number} ({self.get_status_display()})"

    @property
    def trial_days_display(self) -> str:
        """ "2-Week" for a 14-day tryout, as on the button."""
        days = (self.trial_ends_at - self.trial_started_at).days
        return f"{days // 7}-Week" if days % 7 == 0 else f"{days}-Day"

    @property
    def in_trial(self) -> bool:
        return self.status == PlanStatus.TRIALING and timezone.now() < self.trial_ends_at


class ScheduledCharge(models.Model):
    """One installment of a plan: due on a date, charged once."""

    plan = models.ForeignKey(InstallmentPlan, on_delete=models.CASCADE, related_name="charges")
    sequence = models.PositiveSmallIntegerField()
    due_at = models.DateTimeField()
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=32, choices=ChargeStatus, default=ChargeStatus.SCHEDULED)
    payment_intent_id = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    paid_at = models.DateTimeField(null=True, blank=True)
    # Billing lifecycle (shop.billing.charging): retries, the attempt in flight, refunds.
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When a failed installment is tried again; empty: never."
    )
    processing_started_at = models.DateTimeField(null=True, blank=True)
    failure_code = models.CharField(max_length=64, blank=True)
    refunded_cents = models.PositiveIntegerField(default=0)
    # Awaiting confirmation (shop.billing.confirmation): until when, and the reminder.
    confirm_by = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The customer can confirm the payment until then; the plan is then suspended.",
    )
    confirmation_reminder_at = models.DateTimeField(null=True, blank=True)
    confirmation_reminder_sent_at = models.DateTimeField(null=True, blank=True)
    # The reminder before this payment (shop.billing.reminders), sent once.
    reminder_sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the reminder before this payment was sent."
    )

    class Meta:
        ordering = ["plan", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "sequence"], name="one_charge_per_sequence"),
            # One payment pays one installment: a PaymentIntent is never recorded on two.
            models.UniqueConstraint(
                fields=["payment_intent_id"],
                condition=~models.Q(payment_intent_id=""),
                name="one_installment_per_payment_intent",
            ),
        ]

    def __str__(self):
        return f"Installment {self.sequence} of {self.plan_id}"


class InstallmentRefund(models.Model):
    """Money given back on one payment, claimed here before Stripe is asked.

    The row is written (and the amount reserved) under the plan's lock; Stripe is then called
    outside any transaction with this row's idempotency key, and the answer recorded. A
    refund whose answer was lost stays "requested" and is sent again with the same key."""

    class Reason(models.TextChoices):
        AUTHOR = "author", "Refunded by the author"
        LATE_PAYMENT = "late_payment", "Payment on a plan that could no longer be charged"
        DOUBLE_CHARGE = "double_charge", "Second payment of one installment"

    plan = models.ForeignKey(InstallmentPlan, on_delete=models.CASCADE, related_name="refunds")
    charge = models.ForeignKey(ScheduledCharge, on_delete=models.CASCADE, related_name="refunds")
    payment_intent_id = models.CharField(max_length=255)
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=32, choices=Reason.choices)
    status = models.CharField(max_length=16, choices=RefundStatus, default=RefundStatus.REQUESTED)
    idempotency_key = models.CharField(max_length=255, unique=True)
    stripe_refund_id = models.CharField(max_length=255, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"Refund of {self.amount_cents} on {self.payment_intent_id} ({self.status})"


class CardUpdate(models.Model):
    """A card the customer saved for a plan after checkout: each SetupIntent once, and the
    retry of a failed payment it led to (limited per card and per day)."""

    plan = models.ForeignKey(InstallmentPlan, on_delete=models.CASCADE, related_name="card_updates")
    setup_intent_id = models.CharField(max_length=255, unique=True)
    payment_method_id = models.CharField(max_length=255)
    card_fingerprint = models.CharField(max_length=64, blank=True)
    retried = models.BooleanField(
        default=False, help_text="A failed payment was tried again with this card."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"Card update {self.setup_intent_id} on plan {self.plan_id}"


class PlanEvent(models.Model):
    """Every change of a plan, with who made it and when."""

    plan = models.ForeignKey(InstallmentPlan, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=64)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(
        max_length=32, help_text="customer, author, system or stripe", default="system"
    )
    note = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.kind} on plan {self.plan_id}"


class TrialConsent(models.Model):
    """The exact terms a customer agreed to, when, and from where."""

    order = models.OneToOneField("order.Order", on_delete=models.PROTECT, related_name="consent")
    text = models.TextField()
    accepted_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    country = models.CharField(max_length=2, blank=True)
    immediate_access_requested = models.BooleanField(default=False)
    immediate_access_text = models.TextField(blank=True)

    def __str__(self):
        return f"Consent for order {self.order_id}"


class TrialClaim(models.Model):
    """Marks that an account, an email address or a card has had its free tryout.

    The unique constraint makes the one-trial rule hold even for simultaneous checkouts."""

    class Kind(models.TextChoices):
        ACCOUNT = "account", "Account"
        EMAIL = "email", "Email address"
        CARD = "card", "Card"

    product = models.ForeignKey("catalogue.Product", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    value = models.CharField(max_length=255)
    plan = models.ForeignKey(InstallmentPlan, on_delete=models.CASCADE, related_name="claims")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["product", "kind", "value"], name="one_trial_per_account_email_card"
            )
        ]

    def __str__(self):
        return f"{self.kind}: {self.value}"


class StripeEvent(models.Model):
    """A verified webhook from Stripe, stored once: a replay finds it and changes nothing."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    created = models.DateTimeField(help_text="When Stripe created the event.")
    livemode = models.BooleanField(default=False)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.type} {self.event_id}"


class OutgoingEmail(models.Model):
    """An email the shop owes a customer: written in the same transaction as the change it
    tells of, sent after commit and marked sent. While the mail server is down it waits and
    the billing run tries again, so it is neither lost nor sent twice."""

    order = models.ForeignKey("order.Order", on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(
        InstallmentPlan, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    code = models.CharField(max_length=64, help_text="The communication's code, e.g. TRIAL_QUIT")
    key = models.CharField(
        max_length=100, help_text="What makes it one email: the plan event it tells of"
    )
    context = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="Not tried again before this (a send under way, or a wait)"
    )
    last_error = models.CharField(max_length=500, blank=True)
    # The message as it was sent (shop.billing.emails): what the customer got, where, and the
    # id the provider's delivery events name (shop.emails.models.DeliveryEvent.message_id).
    to_address = models.EmailField(
        max_length=254,
        blank=True,
        help_text="Where it goes: set for a resend to a corrected address, else the customer's",
    )
    subject = models.CharField(max_length=998, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    resend_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resends",
        help_text="The email this one sends again, to a corrected address",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "code", "key"], name="one_email_per_event")
        ]
        indexes = [models.Index(fields=["sent_at", "next_attempt_at"], name="email_unsent")]

    def __str__(self):
        return f"{self.code} for order {self.order_id} ({'sent' if self.sent_at else 'unsent'})"


class Dispute(models.Model):
    """A customer's dispute of a payment with their card issuer (a chargeback), as Stripe
    reports it, and the evidence the author sent back (shop.billing.disputes)."""

    dispute_id = models.CharField(max_length=255, unique=True)
    plan = models.ForeignKey(
        InstallmentPlan, null=True, blank=True, on_delete=models.PROTECT, related_name="disputes"
    )
    charge = models.ForeignKey(
        ScheduledCharge, null=True, blank=True, on_delete=models.PROTECT, related_name="disputes"
    )
    payment_intent_id = models.CharField(max_length=255, blank=True)
    stripe_charge_id = models.CharField(max_length=255, blank=True)
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=64, help_text="Stripe's status, e.g. needs_response")
    evidence_due_by = models.DateTimeField(
        null=True, blank=True, help_text="The last moment Stripe accepts evidence."
    )
    opened_at = models.DateTimeField()
    last_event_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Stripe's time of the newest event applied: older ones change nothing.",
    )
    evidence_submitted_at = models.DateTimeField(null=True, blank=True)
    evidence_submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    evidence_file_id = models.CharField(
        max_length=255, blank=True, help_text="The evidence PDF's file at Stripe."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_at"]
        permissions = [("submit_dispute_evidence", "Can send dispute evidence to Stripe")]

    def __str__(self):
        return f"Dispute {self.dispute_id}"
