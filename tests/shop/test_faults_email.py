"""The mail server failing while the billing run or the checkout sends: the payment, the plan
and the order stand, the customer sees the success they had, the failure is logged with
what the email was about, and the email is sent by the next billing run, exactly once."""

import logging
import smtplib
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.utils import timezone
from oscar.core.loading import get_model

from shop.billing.models import ChargeStatus, InstallmentPlan, OutgoingEmail, PlanStatus
from shop.downloads.models import DownloadGrant
from tests.shop.billing_helpers import day, intents_of

Order = get_model("order", "Order")

pytestmark = pytest.mark.django_db

WORKING = "django.core.mail.backends.locmem.EmailBackend"
FAILING = f"{__name__}.MailServerGone"


class MailServerGone(BaseEmailBackend):
    """A mail server that drops the connection on every message."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def billing_run_at(when, capture) -> str:
    out = StringIO()
    with time_machine.travel(when, tick=False), capture(execute=True):
        call_command("billing_run", now=when.isoformat(), stdout=out)
    return out.getvalue()


def subjects() -> list[str]:
    return [m.subject for m in mail.outbox]


def test_billing_run_emails_held_back_by_the_mail_server_are_sent_once_later(
    settings, make_plan, django_capture_on_commit_callbacks, caplog
):
    plan = make_plan()
    mail.outbox.clear()
    settings.EMAIL_BACKEND = FAILING

    with caplog.at_level(logging.ERROR):
        billing_run_at(day(7), django_capture_on_commit_callbacks)
    plan.refresh_from_db()
    assert plan.reminder_sent_at is not None
    reminder = OutgoingEmail.objects.get(code="TRIAL_REMINDER")
    assert reminder.sent_at is None and reminder.attempts == 1
    assert "SMTPServerDisconnected" in reminder.last_error
    assert f"TRIAL_REMINDER) for order {plan.order.number}, plan {plan.pk}" in caplog.text

    # Still down when the first payment is taken: the money is recorded all the same.
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        billing_run_at(day(14), django_capture_on_commit_callbacks)
    plan.refresh_from_db()
    charge = plan.charges.get(sequence=1)
    assert charge.status == ChargeStatus.PAID
    assert plan.status == PlanStatus.INSTALLMENT_PAID
    assert [i.status for i in intents_of(plan)] == ["succeeded"]
    assert f"INSTALLMENT_PAID) for order {plan.order.number}, plan {plan.pk}" in caplog.text
    assert mail.outbox == []
    reminder.refresh_from_db()
    assert reminder.attempts == 2 and reminder.sent_at is None

    settings.EMAIL_BACKEND = WORKING
    output = billing_run_at(day(14, hours=1), django_capture_on_commit_callbacks)
    assert "held-back emails sent 2" in output
    assert [e.code for e in OutgoingEmail.objects.order_by("sent_at", "pk")] == [
        "TRIAL_REMINDER",
        "INSTALLMENT_PAID",
    ]
    assert len(mail.outbox) == 2 and all(m.to == ["reader@example.com"] for m in mail.outbox)
    assert "payment 1 of 2" in mail.outbox[1].subject.lower() or "98.50" in mail.outbox[1].body
    assert not OutgoingEmail.objects.filter(sent_at__isnull=True).exists()

    billing_run_at(day(14, hours=2), django_capture_on_commit_callbacks)
    billing_run_at(day(15), django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2
    assert len(intents_of(plan)) == 1


def test_emails_that_went_out_are_not_sent_again_by_later_runs(
    make_plan, django_capture_on_commit_callbacks
):
    plan = make_plan()
    mail.outbox.clear()
    billing_run_at(day(7), django_capture_on_commit_callbacks)
    billing_run_at(day(14), django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2
    billing_run_at(day(14, hours=1), django_capture_on_commit_callbacks)
    billing_run_at(day(20), django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2
    assert OutgoingEmail.objects.filter(plan=plan, sent_at__isnull=False).count() == 2
    assert all(e.attempts == 1 for e in OutgoingEmail.objects.all())


def test_a_waiting_email_is_tried_again_only_when_its_wait_is_over(
    settings, make_plan, django_capture_on_commit_callbacks
):
    make_plan()
    settings.EMAIL_BACKEND = FAILING
    billing_run_at(day(7), django_capture_on_commit_callbacks)
    billing_run_at(day(7, hours=0.01), django_capture_on_commit_callbacks)
    assert OutgoingEmail.objects.get().attempts == 1
    billing_run_at(day(7, hours=0.1), django_capture_on_commit_callbacks)
    email = OutgoingEmail.objects.get()
    assert email.attempts == 2 and email.sent_at is None


def test_checkout_with_the_mail_server_down_places_the_order_and_the_next_run_sends_it_once(
    client, settings, billing_standin, billing_program, billing_reader, caplog
):
    from tests.shop.test_trial_checkout import form_data, open_payment_page, save_card

    settings.EMAIL_BACKEND = FAILING
    client.force_login(billing_reader)
    open_payment_page(client, billing_program)
    with caplog.at_level(logging.ERROR):
        response = client.post(
            "/shop/checkout/payment-details/", form_data(client, save_card(client))
        )
    assert response.status_code == 302
    assert response["Location"] == "/shop/checkout/thank-you/"
    order = Order.objects.get()
    assert InstallmentPlan.objects.get(order=order).status == PlanStatus.TRIALING
    assert DownloadGrant.objects.get(order=order).is_active()
    assert f"(ORDER_PLACED) for order {order.number}" in caplog.text
    thank_you = client.get("/shop/checkout/thank-you/")
    assert thank_you.status_code == 200 and order.number in thank_you.content.decode()
    email = OutgoingEmail.objects.get()
    assert (email.order, email.code, email.sent_at) == (order, "ORDER_PLACED", None)
    assert mail.outbox == []

    settings.EMAIL_BACKEND = WORKING
    # The next run, a few minutes later, once the email's wait is over.
    later = (timezone.now() + timedelta(minutes=5)).isoformat()
    call_command("billing_run", now=later, stdout=StringIO())
    assert [m.to for m in mail.outbox] == [["reader@example.com"]]
    assert order.number in mail.outbox[0].body
    assert "Charged today: $0.00" in mail.outbox[0].body
    call_command("billing_run", now=later, stdout=StringIO())
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert email.sent_at is not None and email.attempts == 2


def test_staff_see_the_emails_waiting_and_why_in_the_back_office(
    settings, make_plan, django_capture_on_commit_callbacks, admin_client
):
    plan = make_plan()
    settings.EMAIL_BACKEND = FAILING
    billing_run_at(day(7), django_capture_on_commit_callbacks)

    listing = admin_client.get("/cms/emails-sent/?sent=no")
    assert listing.status_code == 200
    text = listing.content.decode()
    assert "TRIAL_REMINDER" in text
    assert str(plan.order.number) in text and plan.user.email in text
    assert "SMTPServerDisconnected" in text
    # The row's error stands for the row: the filters list every email's code.
    row = "SMTPServerDisconnected"
    assert row not in admin_client.get("/cms/emails-sent/?sent=yes").content.decode()
    assert row in admin_client.get("/cms/emails-sent/?code=TRIAL_REMINDER").content.decode()
    assert row not in admin_client.get("/cms/emails-sent/?code=PAYMENT_FAILED").content.decode()
    assert row in admin_client.get(f"/cms/emails-sent/?q={plan.user.email}").content.decode()
    assert row in admin_client.get(f"/cms/emails-sent/?q={plan.order.number}").content.decode()
    assert row not in admin_client.get("/cms/emails-sent/?q=nobody@").content.decode()
    # A record of what was owed: nobody adds, edits or deletes one by hand, here or in
    # Django's admin, which no longer lists them.
    email = OutgoingEmail.objects.get(code="TRIAL_REMINDER")
    assert "/cms/emails-sent/new/" not in text and "/edit/" not in text
    for url in ("/cms/emails-sent/new/", f"/cms/emails-sent/edit/{email.pk}/"):
        assert admin_client.get(url).status_code == 404
    assert admin_client.get("/django-admin/billing/outgoingemail/").status_code == 404
    assert OutgoingEmail.objects.filter(pk=email.pk).exists()
