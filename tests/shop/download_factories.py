"""Customers who bought the program, straight in the database (no Stripe needed), and
program files on whatever private storage the test has set up."""

import secrets
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from oscar.test.factories import create_order

from shop.billing.access import grant_sync
from shop.billing.models import InstallmentPlan, PlanStatus
from shop.downloads.models import DownloadGrant, ProgramFile
from shop.downloads.services import program_file_store


def grant_with_plan(
    *,
    user,
    product,
    status: str = PlanStatus.TRIALING,
    started: timedelta = timedelta(days=1),
    trial_days: int = 14,
    ends_at=None,
    ended_reason: str = "",
    suspended: bool = False,
) -> DownloadGrant:
    """An order, its plan in ``status`` and its download grant, begun ``started`` ago."""
    start = timezone.now() - started
    order = create_order(user=user)
    plan = InstallmentPlan.objects.create(
        order=order,
        user=user,
        product=product,
        status=status,
        trial_started_at=start,
        trial_ends_at=start + timedelta(days=trial_days),
        currency="USD",
        installment_amount_cents=9850,
        installment_count=2,
        interval_days=28,
        total_cents=19700,
        stripe_customer_id="cus_test",
        stripe_payment_method_id="pm_test",
        stripe_setup_intent_id=f"seti_{secrets.token_hex(8)}",
        # A plan whose retries ran out: suspended, the download ended then.
        suspended_at=timezone.now() - timedelta(days=1) if suspended else None,
    )
    grant = DownloadGrant.objects.create(
        user=user,
        product=product,
        order=order,
        starts_at=start,
        ends_at=ends_at,
        ended_reason=ended_reason,
    )
    if ends_at is None and not ended_reason:
        # As billing leaves it for the plan's state; an end given here is the author's.
        grant_sync(plan)
        grant.refresh_from_db()
    return grant


def program_file_create(
    *, product, title: str = "The book", name: str = "Back Pain Book.pdf", content: bytes = b""
) -> ProgramFile:
    content = content or b"%PDF-1.7 " + bytes(range(256)) * 40
    return program_file_store(
        program_file=ProgramFile(product=product, title=title),
        upload=SimpleUploadedFile(name, content),
    )
