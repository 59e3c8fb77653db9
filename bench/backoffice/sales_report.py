"""What the sales report, the dashboards and the customers' programs cost with a year of
sales: 10,000 plans.

    DEBUG=False DATABASE_URL=postgres://postgres@127.0.0.1:5432/backcare_bench_sales \\
        .venv/bin/python bench/backoffice/sales_report.py --plans 10000

Uses the site's settings from the environment (``DJANGO_SETTINGS_MODULE``, default
``config.settings.dev``) and a database of its own: it migrates it, writes the plans once
(``tests.shop.bulk_plans.plans_in_bulk``, a week's worth at a time over the last 52 weeks),
moves them as a year leaves them (tryouts quit, payments taken, refused, waiting for a
confirmation, refunded: fixed shares, see ``SHARES``), then requests each page once in
process (Django's test client, signed in as a shop manager) and prints one JSON line per
page: {"url", "status", "seconds", "queries", "bytes"}. A second run finds the plans and
only measures.
"""

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PREFIX = "bench-sales"
BENCH_UPC = "bench-sales-program"
# Of every 100 plans whose tryout has ended: quit, refused, waiting, refunded, the rest pay.
SHARES = {"quit": 15, "failed": 5, "waiting": 3, "refunded": 3}
# Of the plans paying, those whose second payment was refused instead.
SECOND_REFUSED = 5


class QueryCounter:
    """Counts every query sent to the database, with or without DEBUG."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def program():
    from oscar.test.factories import create_product

    from shop.billing.models import TrialOffer

    offer = TrialOffer.objects.filter(product__upc=BENCH_UPC).select_related("product").first()
    if offer is not None:
        return offer.product
    product = create_product(
        title="Bench sales program", upc=BENCH_UPC, price=Decimal("197.00"), num_in_stock=None
    )
    TrialOffer.objects.create(
        product=product, installment_amount=Decimal("98.50"), installment_count=2
    )
    return product


def year_of_plans(count: int) -> float:
    """``count`` plans started over the last 52 weeks, moved as a year leaves them; the
    seconds it took."""
    from django.db import transaction
    from django.utils import timezone

    from shop.billing.models import (
        ChargeStatus,
        InstallmentPlan,
        PlanEvent,
        PlanStatus,
        ScheduledCharge,
    )
    from shop.billing.services import SavedCard
    from tests.shop.bulk_plans import plans_in_bulk

    began = time.perf_counter()
    product = program()
    card = SavedCard(
        customer_id="cus_bench",
        payment_method_id="pm_bench",
        setup_intent_id="seti_bench",
        fingerprint="fp_bench",
        brand="visa",
        last4="4242",
    )
    now = timezone.now()
    weeks = 52
    per_week = -(-count // weeks)
    made = 0
    for week in range(weeks):
        batch = min(per_week, count - made)
        if batch <= 0:
            break
        start = now - timedelta(weeks=weeks - week, hours=week % 24)
        plans_in_bulk(
            product=product, card=card, start=start, count=batch, prefix=f"{PREFIX}-{week}"
        )
        made += batch

    plans = list(
        InstallmentPlan.objects.filter(product=product).order_by("pk").prefetch_related("charges")
    )
    events, plan_rows, charge_rows = [], [], []
    for index, plan in enumerate(plans):
        first, second = sorted(plan.charges.all(), key=lambda charge: charge.sequence)
        if first.due_at > now:
            continue  # still in the tryout
        share = index % 100
        if share < SHARES["quit"]:
            plan.status = PlanStatus.TRIAL_QUIT
            first.status = second.status = ChargeStatus.CANCELLED
            events.append(("trial_quit", plan, plan.trial_started_at + timedelta(days=3), {}))
        elif share < SHARES["quit"] + SHARES["failed"]:
            plan.status = PlanStatus.PAYMENT_FAILED
            first.status, first.attempts = ChargeStatus.FAILED, 1
            recent = now - first.due_at < timedelta(days=6)
            first.next_attempt_at = first.due_at + timedelta(days=3) if recent else None
            events.append(("charge_failed", plan, first.due_at, {}))
        elif share < SHARES["quit"] + SHARES["failed"] + SHARES["waiting"]:
            plan.status = PlanStatus.CONFIRMATION_NEEDED
            first.status, first.attempts = ChargeStatus.AWAITING_CONFIRMATION, 1
            first.confirm_by = first.due_at + timedelta(days=7)
        else:
            plan.status = PlanStatus.INSTALLMENT_PAID
            first.status, first.paid_at, first.attempts = ChargeStatus.PAID, first.due_at, 1
            first.payment_intent_id = f"pi_{PREFIX}_{plan.pk}_1"
            events.append(("charge_succeeded", plan, first.due_at, {}))
            refunded = share >= 100 - SHARES["refunded"]
            if refunded:
                moment = min(first.due_at + timedelta(days=5), now)
                plan.status = PlanStatus.REFUNDED
                first.status, first.refunded_cents = ChargeStatus.REFUNDED, first.amount_cents
                second.status = ChargeStatus.CANCELLED
                events.append(("charge_refunded", plan, moment, {"cents": first.amount_cents}))
            elif second.due_at <= now:
                second.attempts = 1
                if share < 100 - SHARES["refunded"] - SECOND_REFUSED:
                    plan.status = PlanStatus.PAID_IN_FULL
                    second.status, second.paid_at = ChargeStatus.PAID, second.due_at
                    second.payment_intent_id = f"pi_{PREFIX}_{plan.pk}_2"
                    events.append(("charge_succeeded", plan, second.due_at, {}))
                else:
                    plan.status = PlanStatus.PAYMENT_FAILED
                    second.status = ChargeStatus.FAILED
                    events.append(("charge_failed", plan, second.due_at, {}))
        plan_rows.append(plan)
        charge_rows += [first, second]
    with transaction.atomic():
        InstallmentPlan.objects.bulk_update(plan_rows, ["status"], batch_size=1000)
        ScheduledCharge.objects.bulk_update(
            charge_rows,
            [
                "status",
                "paid_at",
                "attempts",
                "next_attempt_at",
                "confirm_by",
                "refunded_cents",
                "payment_intent_id",
            ],
            batch_size=1000,
        )
        created = PlanEvent.objects.bulk_create(
            (PlanEvent(plan=plan, kind=kind, data=data) for kind, plan, _, data in events),
            batch_size=1000,
        )
        # created_at is set on insert; the events happened when their move did.
        for event, (_, _, moment, _) in zip(created, events, strict=True):
            event.created_at = moment
        PlanEvent.objects.bulk_update(created, ["created_at"], batch_size=1000)
    return time.perf_counter() - began


def manager():
    """Someone in the "Shop manager" group the migrations create."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user, _ = get_user_model().objects.get_or_create(
        username=f"{PREFIX}-manager",
        defaults={"email": "manager@example.com", "is_staff": False, "is_superuser": False},
    )
    user.groups.set([Group.objects.get(name="Shop manager")])
    return user


def superuser():
    from django.contrib.auth import get_user_model

    User = get_user_model()
    user = User.objects.filter(username=f"{PREFIX}-author").first()
    return user or User.objects.create_superuser(f"{PREFIX}-author", "author@example.com", None)


def measure(client, url: str) -> dict:
    from django.db import connection

    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        began = time.perf_counter()
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        seconds = time.perf_counter() - began
    return {
        "url": url,
        "status": response.status_code,
        "seconds": round(seconds, 3),
        "queries": counter.count,
        "bytes": len(body),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", type=int, default=10_000)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.setdefault("EMAIL_URL", "memorymail://")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from shop.billing.models import InstallmentPlan

    call_command("migrate", verbosity=0)
    written = InstallmentPlan.objects.filter(product__upc=BENCH_UPC).count()
    seed_seconds = None
    if written < args.plans:
        seed_seconds = round(year_of_plans(args.plans - written), 1)
    plans = InstallmentPlan.objects.filter(product__upc=BENCH_UPC).count()
    print(json.dumps({"plans": plans, "seed_seconds": seed_seconds}), flush=True)

    client = Client(HTTP_HOST="localhost")
    client.force_login(manager())
    today = timezone.localdate()
    year = f"period_from={today - timedelta(weeks=52):%Y-%m-%d}&period_to={today:%Y-%m-%d}"
    urls = [
        "/cms/",
        "/cms/sales/",
        f"/cms/sales/?{year}",
        f"/cms/sales/?{year}&table=chase&export=csv",
    ]
    # The customers' programs, as the author finds one: the listing, a search by email
    # (the database's, no index), the plan's page.
    busiest = (
        InstallmentPlan.objects.filter(product__upc=BENCH_UPC)
        .select_related("user")
        .order_by("-created_at")
        .first()
    )
    if busiest is not None:
        urls += [
            "/cms/programs/",
            f"/cms/programs/?q={busiest.user.email}",
            f"/cms/programs/{busiest.pk}/",
        ]
    client.get("/cms/sales/")  # one warm-up: templates, URL resolvers, permissions
    client.get("/cms/programs/")
    for url in urls:
        print(json.dumps(measure(client, url)), flush=True)
    # Oscar's dashboard index, its revenue now money collected, as the author sees it.
    author = Client(HTTP_HOST="localhost")
    author.force_login(superuser())
    author.get("/shop/dashboard/")
    print(json.dumps(measure(author, "/shop/dashboard/")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
