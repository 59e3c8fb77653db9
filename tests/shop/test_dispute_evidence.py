"""A dispute's evidence pack: every item the card networks ask for, read from what the shop
kept, and the one PDF that holds them (opened again with pypdf)."""

import io

import pytest
from pypdf import PdfReader

from shop.billing.dispute_pdf import dispute_pdf
from shop.billing.disputes import dispute_evidence
from tests.shop import dispute_samples as sample
from web.dates import long_datetime

pytestmark = pytest.mark.django_db


def flat(text: str) -> str:
    """Text with every run of spaces and line breaks made one space (a PDF wraps lines)."""
    return " ".join(text.split())


def test_the_evidence_holds_every_item_of_a_disputed_program():
    disputed = sample.disputed_program()
    evidence = dispute_evidence(disputed.dispute)

    assert evidence.customer_name == "Zoë Ångström"
    assert evidence.customer_email == "zoe@example.com"
    assert evidence.order_number == str(disputed.plan.order.number)
    assert evidence.amount == "$98.50"
    assert evidence.reason.startswith("Fraudulent")
    assert evidence.status == "Needs a response"
    assert evidence.due_by == disputed.dispute.evidence_due_by and not evidence.overdue
    # The offer as shown, and the consent with its time, address, browser and country.
    assert any("free 14-day tryout" in line for line in evidence.offer)
    assert any(
        "2 payments of $98.50, every 28 days, $197.00 in total" in line for line in evidence.offer
    )
    assert evidence.consent.text == sample.CONSENT_TEXT
    assert evidence.consent.immediate_access_text == sample.IMMEDIATE_TEXT
    assert (evidence.consent.ip_address, evidence.consent.country) == (sample.IP, "US")
    assert evidence.consent.user_agent == sample.BROWSER
    # The $0 receipt and each reminder, sent when and where, and delivered when.
    receipt = evidence.receipt
    assert (receipt.subject, receipt.to_address) == (sample.RECEIPT_SUBJECT, "zoe@example.com")
    assert receipt.sent_at == sample.RECEIPT_SENT
    assert receipt.delivery == "Delivered" and receipt.delivered_at is not None
    assert "Today you pay $0.00" in receipt.body_text
    assert [r.code for r in evidence.reminders] == ["TRIAL_REMINDER", "PAYMENT_REMINDER"]
    assert evidence.reminders[0].sent_at == sample.REMINDER_SENT
    assert evidence.reminders[0].delivery == "Delivered"
    assert evidence.reminders[1].delivery == "No delivery report"
    # The download log, the tryout not quit, the payments.
    assert [(d.file_title, d.ip_address) for d in evidence.downloads] == [
        (sample.DOWNLOAD_TITLE, "198.51.100.23")
    ]
    assert evidence.downloads_total == 1
    assert evidence.quit is False and "The tryout was not quit" in evidence.quit_statement
    first, second = evidence.payments
    assert (first.status, first.payment_intent_id, first.disputed) == (
        "Paid",
        "pi_disputed_1",
        True,
    )
    assert (second.status, second.disputed) == ("Scheduled", False)
    assert evidence.refunds == ()


def test_a_quit_tryout_is_said_plainly():
    evidence = dispute_evidence(sample.disputed_program(quit=True).dispute)
    assert evidence.quit is True
    assert evidence.quit_statement.startswith("The customer quit the tryout on")
    assert "not quit" not in evidence.quit_statement


def test_the_pdf_opens_and_holds_each_item_in_its_own_words():
    disputed = sample.disputed_program()
    evidence = dispute_evidence(disputed.dispute)

    reader = PdfReader(io.BytesIO(dispute_pdf(evidence)))
    assert len(reader.pages) >= 2
    text = flat("\n".join(page.extract_text() for page in reader.pages))

    for item in (
        flat(sample.CONSENT_TEXT),  # curly quotes included
        flat(sample.IMMEDIATE_TEXT),
        "Zoë Ångström",
        sample.IP,
        sample.BROWSER,
        sample.RECEIPT_SUBJECT,
        long_datetime(sample.RECEIPT_SENT),
        "Today you pay $0.00",
        sample.REMINDER_SUBJECT,
        long_datetime(sample.REMINDER_SENT),
        long_datetime(sample.PAYMENT_REMINDER_SENT),
        sample.DOWNLOAD_TITLE,
        "198.51.100.23",
        "The tryout was not quit",
        "pi_disputed_1",
        "$98.50",
        str(disputed.plan.order.number),
        "dp_sample_1",
        f"Respond by {long_datetime(disputed.dispute.evidence_due_by)}",
    ):
        assert item in text, item
