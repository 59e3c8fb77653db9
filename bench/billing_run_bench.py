"""How the billing run scales: N plans due now, charged in one run, timed and counted.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/backcare_bench \\
    STRIPE_API_BASE=http://127.0.0.1:8641 \\
    .venv/bin/python bench/billing_run_bench.py --plans 1000

Runs with the site's settings from the environment (``DJANGO_SETTINGS_MODULE``, default
``config.settings.dev``), migrates the database if needed, writes N plans whose tryout ended
a minute ago (``tests.shop.bulk_plans.plans_in_bulk``: users, orders, plans, installments and
grants in bulk, all charged to one card saved at the Stripe stand-in, which must be running
at ``STRIPE_API_BASE``), runs ``billing_run`` once and prints one JSON line:
{"plans", "seconds", "plans_per_second", "queries", "queries_per_plan", "charged"}.

Use a database of its own: each run adds its N paid plans (names start with ``bench-``) and
leaves them; they are never due again before their second installment, four weeks later.
Emails go to memory unless ``EMAIL_URL`` says otherwise (the mail server is not measured).
Everything else the run prints goes to stderr, so stdout is the JSON line only.
"""

import argparse
import contextlib
import http.client
import json
import os
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_UPC = "bench-billing-program"


def _program():
    """The product every bench plan buys, made once."""
    from oscar.test.factories import create_product

    from shop.billing.models import TrialOffer

    offer = TrialOffer.objects.filter(product__upc=BENCH_UPC).select_related("product").first()
    if offer is not None:
        return offer.product
    product = create_product(
        title="Bench program", upc=BENCH_UPC, price=Decimal("197.00"), num_in_stock=None
    )
    TrialOffer.objects.create(
        product=product,
        trial_days=14,
        installment_count=2,
        installment_amount=Decimal("98.50"),
        interval_days=28,
        currency="USD",
    )
    return product


def _card():
    """One card saved at the stand-in, for a customer of its own."""
    from django.contrib.auth import get_user_model

    from tests.shop.factories import saved_card_for_tests

    user, _ = get_user_model().objects.get_or_create(
        username="bench-cardholder", defaults={"email": "bench-cardholder@example.com"}
    )
    return saved_card_for_tests(user=user)


class StripeTimer:
    """Time spent waiting for the Stripe stand-in's answers: it keeps every object in memory
    and slows as they pile up, which is no cost of ours."""

    def __init__(self):
        self.calls = 0
        self.seconds = 0.0

    @contextlib.contextmanager
    def timing(self):
        original = http.client.HTTPConnection.getresponse
        timer = self

        def getresponse(connection, *args, **kwargs):
            began = time.perf_counter()
            try:
                return original(connection, *args, **kwargs)
            finally:
                timer.calls += 1
                timer.seconds += time.perf_counter() - began

        http.client.HTTPConnection.getresponse = getresponse
        try:
            yield self
        finally:
            http.client.HTTPConnection.getresponse = original


class QueryCounter:
    """Counts every query sent to the database, with or without DEBUG."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def bench(plans: int) -> dict:
    from django.db import connection
    from django.utils import timezone

    from shop.billing.scheduler import billing_run
    from tests.shop.bulk_plans import plans_in_bulk

    product = _program()
    card = _card()
    now = timezone.now()
    start = now - timedelta(days=product.trial_offer.trial_days, minutes=1)
    prefix = f"bench-{int(time.time() * 1000)}"
    seeding = time.perf_counter()
    plans_in_bulk(product=product, card=card, start=start, count=plans, prefix=prefix)
    seed_seconds = time.perf_counter() - seeding

    counter = QueryCounter()
    stripe = StripeTimer()
    with connection.execute_wrapper(counter), stripe.timing():
        began = time.perf_counter()
        report = billing_run(now=timezone.now())
        seconds = time.perf_counter() - began
    charged = sum(1 for outcome in report.charged.values() if outcome == "succeeded")
    return {
        "plans": plans,
        "seconds": round(seconds, 3),
        "plans_per_second": round(plans / seconds, 1) if seconds else None,
        "queries": counter.count,
        "queries_per_plan": round(counter.count / plans, 2) if plans else None,
        "charged": charged,
        "seed_seconds": round(seed_seconds, 3),
        "stripe_calls": stripe.calls,
        "stripe_seconds": round(stripe.seconds, 3),
        "plans_per_second_without_stripe": (
            round(plans / (seconds - stripe.seconds), 1) if seconds > stripe.seconds else None
        ),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", type=int, required=True, help="How many plans fall due.")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.setdefault("EMAIL_URL", "memorymail://")
    # Logs, emails on the console and migrations print to stderr: stdout is the result.
    with contextlib.redirect_stdout(sys.stderr):
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        result = bench(args.plans)
    print(json.dumps(result))
    return 0 if result["charged"] == args.plans else 1


if __name__ == "__main__":
    sys.exit(main())
