"""Customers who bought the program, straight in the database (no Stripe needed), and
program files on whatever private storage the test has set up."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from shop.billing.access import grant_sync
from shop.billing.models import PlanStatus
from shop.downloads.models import DownloadGrant, ProgramFile
from shop.downloads.services import program_file_store
from tests.shop.factories import DownloadGrantFactory, InstallmentPlanFactory


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
    plan = InstallmentPlanFactory(
        user=user,
        product=product,
        status=status,
        started=started,
        trial_days=trial_days,
        suspended=suspended,
    )
    grant = DownloadGrantFactory(
        user=user,
        product=product,
        order=plan.order,
        starts_at=plan.trial_started_at,
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
