"""The billing run as a background task, for a worker-driven schedule instead of the clock."""

from datetime import datetime

from django_tasks import task

from shop.billing.scheduler import billing_run


@task()
def billing_run_task(now: str | None = None) -> dict:
    """One billing run (see ``shop.billing.scheduler.billing_run``); ``now`` is an ISO time
    with offset, or None for the current time. Returns what was done, by id."""
    report = billing_run(now=datetime.fromisoformat(now) if now else None)
    return report.as_dict()
