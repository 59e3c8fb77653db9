"""Every plan email in HTML and text, with the same facts: rendered for a real plan (in the
state each email is sent in) with the context the shop sends it with, the HTML as it leaves
(its stylesheet written into each element)."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from oscar.core.loading import get_class

from shop.billing.email_examples import email_context_for
from shop.billing.models import ChargeStatus, PlanStatus
from shop.emails.look import html_for_mail
from tests.shop.billing_helpers import day
from web.dates import long_date

Dispatcher = get_class("communication.utils", "Dispatcher")

pytestmark = pytest.mark.django_db

KINDS = (
    "ORDER_PLACED",
    "TRIAL_REMINDER",
    "PAYMENT_REMINDER",
    "TRIAL_QUIT",
    "INSTALLMENT_PAID",
    "PAID_IN_FULL",
    "PAYMENT_FAILED",
    "PAYMENT_CONFIRMATION_NEEDED",
    "PAYMENT_CONFIRMATION_REMINDER",
    "PLAN_SUSPENDED",
    "PAYMENTS_CANCELLED",
    "REFUND_ISSUED",
    "ACCOUNT_DELETED",
)


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _charge_paid(charge, when):
    charge.status = ChargeStatus.PAID
    charge.paid_at = when
    charge.save(update_fields=["status", "paid_at"])


def plan_as_sent(code: str, plan):
    """The plan in the state the shop is in when it sends ``code``, and the facts the email
    must state in both formats."""
    first, second = plan.charges.order_by("sequence")
    program = absolute(reverse("billing:program"))
    card_update = absolute(reverse("billing:card-update", args=[plan.pk]))
    facts = ["$98.50", plan.card_last4, program]
    if code == "ORDER_PLACED":
        facts += ["$0.00", "$197.00", long_date(plan.trial_ends_at), long_date(first.due_at)]
        facts += [long_date(second.due_at), absolute("/shop/accounts/program/quit/")]
        facts.remove("$98.50")
        facts.append("payment 1 of 2")
    elif code == "TRIAL_REMINDER":
        facts += [long_date(plan.trial_ends_at), long_date(first.due_at), long_date(second.due_at)]
        facts += ["$197.00", absolute("/shop/accounts/program/quit/"), card_update]
    elif code == "PAYMENT_REMINDER":
        # Past the tryout, payment 1 taken: payment 2 is coming up, and cancelling is offered.
        _charge_paid(first, first.due_at)
        plan.status = PlanStatus.INSTALLMENT_PAID
        plan.save(update_fields=["status"])
        facts += [long_date(second.due_at), "payment 2 of 2", card_update]
        facts += [absolute("/shop/accounts/program/cancel/"), long_date(second.due_at)]
    elif code == "TRIAL_QUIT":
        facts = [long_date(plan.trial_ends_at), program, "Nothing will be charged"]
    elif code == "INSTALLMENT_PAID":
        _charge_paid(first, first.due_at)
        facts += [long_date(second.due_at), "payment 1 of 2"]
    elif code == "PAID_IN_FULL":
        _charge_paid(first, first.due_at)
        _charge_paid(second, second.due_at)
        facts += ["$197.00", "Nothing more will be charged"]
    elif code == "PAYMENT_FAILED":
        first.status = ChargeStatus.FAILED
        first.next_attempt_at = first.due_at + timedelta(days=3)
        first.save(update_fields=["status", "next_attempt_at"])
        access_ends = first.due_at + timedelta(days=settings.BILLING_GRACE_DAYS)
        facts += [long_date(first.next_attempt_at), long_date(access_ends), card_update]
    elif code in ("PAYMENT_CONFIRMATION_NEEDED", "PAYMENT_CONFIRMATION_REMINDER"):
        first.status = ChargeStatus.AWAITING_CONFIRMATION
        first.payment_intent_id = "pi_waiting"
        first.confirm_by = first.due_at + timedelta(days=7)
        first.save(update_fields=["status", "payment_intent_id", "confirm_by"])
        facts += [long_date(first.confirm_by), card_update]
        facts.append(absolute("/shop/accounts/program/confirm/"))
    elif code == "PLAN_SUSPENDED":
        first.status = ChargeStatus.FAILED
        first.save(update_fields=["status"])
        facts.append("payment 1 of 2")
    elif code == "PAYMENTS_CANCELLED":
        _charge_paid(first, first.due_at)
        second.status = ChargeStatus.CANCELLED
        second.save(update_fields=["status"])
        plan.access_ends_at = second.due_at
        plan.save(update_fields=["access_ends_at"])
        facts = [plan.card_last4, program, long_date(second.due_at), "nothing more will be charged"]
    elif code == "REFUND_ISSUED":
        _charge_paid(first, first.due_at)
        first.refunded_cents = 2500
        first.save(update_fields=["refunded_cents"])
        facts = ["$25.00", plan.card_last4, program, "payment 1 of 2"]
    elif code == "ACCOUNT_DELETED":
        facts = [plan.user.email, "Robin"]
    return facts


def rendered(code: str, plan) -> dict:
    messages = Dispatcher().get_messages(code, email_context_for(code, plan))
    messages["html_for_mail"] = html_for_mail(messages["html"])
    return messages


def visible_text(html: str) -> str:
    """The words a reader sees, the addresses of the links kept beside them."""
    body = html.split("<body", 1)[1]
    links = " ".join(re.findall(r'href="([^"]+)"', body))
    words = re.sub(r"<[^>]+>", " ", body)
    for entity, char in (("&amp;", "&"), ("&#x27;", "'"), ("&quot;", '"'), ("&#39;", "'")):
        words = words.replace(entity, char)
    return re.sub(r"\s+", " ", f"{words} {links}")


@pytest.mark.parametrize("code", KINDS)
def test_each_email_states_the_same_facts_in_html_and_text(code, make_fake_plan):
    plan = make_fake_plan(start=day(0))
    facts = plan_as_sent(code, plan)
    messages = rendered(code, plan)

    assert messages["subject"].strip()
    text = re.sub(r"\s+", " ", messages["body"]).lower()
    html = visible_text(messages["html_for_mail"]).lower()
    for fact in facts:
        assert fact.lower() in text, f"{code} text lacks {fact!r}"
        assert fact.lower() in html, f"{code} HTML lacks {fact!r}"
    for written in (messages["subject"], messages["body"], messages["html"]):
        assert "{{" not in written and "{%" not in written
        assert "<script" not in written.lower()
        # Customer words: a tryout and payments.
        assert not re.search(r"trial|installment", re.sub(r"https?://\S+", "", written), re.I)


@pytest.mark.parametrize("code", KINDS)
def test_each_html_email_is_in_the_sites_look_written_into_its_elements(code, make_fake_plan):
    plan = make_fake_plan(start=day(0))
    plan_as_sent(code, plan)
    html = rendered(code, plan)["html_for_mail"]

    # One column at most 600 px wide, the site's colours, each written into the element.
    assert re.search(r'<table class="container"[^>]*style="[^"]*max-width: ?600px', html)
    assert re.search(r'<table class="main"[^>]*style="[^"]*#0b5f7a', html)
    assert re.search(r'<h1 style="[^"]*Georgia', html)
    # The footer: the site's name and why the reader gets it.
    assert "You get this email because" in html
    # Buttons are links with their own padding (no images).
    for button in re.findall(r'<a class="button[^"]*"[^>]*>', html):
        assert re.search(r'style="[^"]*padding: ?13px 22px', button)
        assert 'href="http' in button
    assert "<img" not in html
    # The narrow-screen rules stay in the head for the mail programs that read them.
    assert "@media only screen and (max-width: 480px)" in html


def test_a_failed_payment_offers_updating_the_card_as_a_button(make_fake_plan):
    plan = make_fake_plan(start=day(0))
    plan_as_sent("PAYMENT_FAILED", plan)
    html = rendered("PAYMENT_FAILED", plan)["html_for_mail"]
    card_update = absolute(reverse("billing:card-update", args=[plan.pk]))
    assert re.search(rf'<a class="button"[^>]*href="{re.escape(card_update)}"', html)


def test_the_tryout_receipt_offers_my_program_and_quitting_as_buttons(make_fake_plan):
    html = rendered("ORDER_PLACED", make_fake_plan(start=day(0)))["html_for_mail"]
    assert ">Quit 2-Week Tryout</a>" in html
    assert ">Open My program</a>" in html


def test_every_email_text_fits_the_editor_fields():
    """The author saves the texts as they are: Oscar keeps a subject in 255 characters."""
    from pathlib import Path

    from oscar.core.loading import get_model

    limit = (
        get_model("communication", "CommunicationEventType")
        ._meta.get_field("email_subject_template")
        .max_length
    )
    folder = Path(settings.BASE_DIR) / "site/templates/oscar/communication/emails"
    subjects = sorted(folder.glob("commtype_*_subject.txt"))
    assert len(subjects) >= len(KINDS)
    for subject in subjects:
        assert len(subject.read_text()) <= limit, subject.name


def test_a_preview_context_names_the_payment_each_email_is_about_and_changes_nothing(
    make_fake_plan,
):
    plan = make_fake_plan(start=day(0))
    first, second = plan.charges.order_by("sequence")
    _charge_paid(first, first.due_at)
    before = list(plan.charges.order_by("sequence").values())

    # Receipts and refunds: the last payment taken; reminders and problems: the next one.
    for code in ("INSTALLMENT_PAID", "PAID_IN_FULL", "REFUND_ISSUED"):
        assert email_context_for(code, plan)["charge"].pk == first.pk, code
    for code in ("TRIAL_REMINDER", "PAYMENT_FAILED", "PAYMENT_CONFIRMATION_NEEDED"):
        assert email_context_for(code, plan)["charge"].pk == second.pk, code
    # A payment not waiting for the bank gets the deadline it would get, on the email only.
    context = email_context_for("PAYMENT_CONFIRMATION_REMINDER", plan)
    assert context["confirm_by"] > second.due_at
    assert context["confirm_path"].startswith("/shop/accounts/program/confirm/")
    assert list(plan.charges.order_by("sequence").values()) == before


def test_the_email_sent_carries_both_bodies(make_fake_plan):
    from django.core import mail

    from shop.billing.emails import plan_email_send

    plan = make_fake_plan(start=day(0))
    mail.outbox.clear()
    plan_email_send(plan=plan, code="TRIAL_QUIT")
    message = mail.outbox[-1]
    assert "You have quit the free tryout" in message.body
    (html, kind), *_ = message.alternatives
    assert kind == "text/html" and "<h1" in html and "You have quit your free tryout" in html
