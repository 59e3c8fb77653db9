from django.core.management.base import BaseCommand

from shop import gateway
from shop.billing.invariants import plans_invariants_check


class Command(BaseCommand):
    help = (
        "Check every installment plan against Stripe: no installment paid twice or without "
        "a payment, our books and Stripe's agree on what was taken and given back, the "
        "download follows the plan and the plan its installments. Prints every broken rule; "
        "exits with 1 when any is broken, 2 when Stripe could not be reached. Changes nothing."
    )

    def handle(self, *args, **options):
        try:
            checked = plans_invariants_check()
        except gateway.PaymentProviderUnavailable:
            self.stderr.write("Stripe could not be reached; nothing was checked.")
            raise SystemExit(2) from None
        for plan_id, problem in checked.problems:
            self.stdout.write(f"plan {plan_id}: {problem}")
        broken_plans = len({plan_id for plan_id, _ in checked.problems})
        self.stdout.write(
            f"Checked {checked.plans} plans, {checked.installments} installments, "
            f"{checked.payments} Stripe payments: {len(checked.problems)} broken invariants "
            f"in {broken_plans} plans."
        )
        if checked.problems:
            raise SystemExit(1)
