import logging
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError

from shop.billing.scheduler import billing_run


class Command(BaseCommand):
    help = (
        "Charge due installments, retry failed ones, reconcile unknown outcomes, send "
        "end-of-tryout reminders, suspend plans whose retries are exhausted and send emails "
        "the mail server refused earlier. Safe to run "
        "twice at once; the clock runs it every minute."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now", help="Act as if it were this ISO time with offset (tests, catching up)."
        )

    def handle(self, *args, now=None, **options):
        at = None
        if now:
            try:
                at = datetime.fromisoformat(now)
            except ValueError as exc:
                raise CommandError(f"--now must be an ISO date and time: {exc}") from exc
            if at.tzinfo is None:
                raise CommandError("--now needs a time zone offset, e.g. 2026-12-08T15:00+00:00")
        try:
            report = billing_run(now=at)
        except (OperationalError, InterfaceError) as exc:
            # Exit non-zero so the clock's log shows it; the next minute's run catches up.
            logging.getLogger(__name__).error("Billing run stopped: database lost", exc_info=True)
            raise CommandError(f"The database cannot be reached: {exc}") from exc
        self.stdout.write(
            f"reconciled {len(report.reconciled)}, charged {len(report.charged)} "
            f"({', '.join(sorted(set(report.charged.values()))) or 'none'}), "
            f"reminded {len(report.reminded)}, suspended {len(report.suspended)}, "
            f"held-back emails sent {len(report.emails)}"
        )
