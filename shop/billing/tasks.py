"""Billing work run by the background queue (django_tasks): the billing run, for a
worker-driven schedule instead of the clock, and each owed email after its transaction
commits. Tasks call the services; the services only enqueue them."""

from datetime import datetime

from django_tasks import task

from shop.billing.emails import email_send
from shop.billing.scheduler import billing_run


@task()
def billing_run_task(now: str | None = None) -> dict:
    """One billing run (see ``shop.billing.scheduler.billing_run``); ``now`` is an ISO time
    with offset, or None for the current time. Returns what was done, by id."""
    report = billing_run(now=datetime.fromisoformat(now) if now else None)
    return report.as_dict()


@task()
def email_send_task(email_id: int) -> bool:
    """Send one owed email (``shop.billing.emails.email_send``): True when this run sent it.
    A failure leaves it waiting, with its error, for the billing run to try again."""
    return email_send(email_id=email_id)
