from django.core.management.base import BaseCommand

from shop import gateway
from shop.billing.reconcile import plans_reconcile


class Command(BaseCommand):
    help = (
        "Compare installment plans with Stripe's PaymentIntents: record payments Stripe took "
        "that were not recorded, settle installments left processing, and report what needs "
        "a person (double charges, payments Stripe does not show)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report only; change nothing.")

    def handle(self, *args, dry_run=False, **options):
        try:
            differences = plans_reconcile(fix=not dry_run)
        except gateway.PaymentProviderUnavailable:
            self.stderr.write("Stripe could not be reached; nothing was compared.")
            raise SystemExit(2) from None
        for d in differences:
            status = "FIXED" if d.fixed else "REPORT"
            self.stdout.write(f"{status} plan {d.plan_id} charge {d.charge_id}: {d.problem}")
        needs_person = sum(1 for d in differences if not d.fixed)
        self.stdout.write(
            f"{len(differences)} differences, {len(differences) - needs_person} fixed, "
            f"{needs_person} to look at."
        )
