"""A dispute's evidence as one PDF: a title page (the dispute, its deadline, a summary)
and a section per item, the emails' own words included, for the card network to read.

Written with fpdf2 in DejaVu Sans, vendored in shop/billing/fonts (its licence beside it):
fpdf2's own fonts are Latin-1 only, and customers' names, the consent's curly quotes and
the emails' dashes are not."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from fpdf import FPDF, XPos, YPos
from fpdf.fonts import FontFace

from shop.billing.templatetags.money_tags import cents_as_money
from web.dates import long_datetime

if TYPE_CHECKING:
    from shop.billing.disputes import DisputeEvidence, EmailEvidence

FONTS = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"
LINE = 5.5
HEADINGS = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))


def _when(value: datetime | None, empty: str = "–") -> str:
    return long_datetime(value) if value else empty


class EvidencePDF(FPDF):
    def __init__(self, title: str):
        super().__init__(format="A4")
        self.footer_title = title
        self.add_font(FONT, style="", fname=str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FONT, style="B", fname=str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(title)
        self.set_author(settings.OSCAR_SHOP_NAME)

    def footer(self):
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.cell(0, 5, f"{self.footer_title} · page {self.page_no()}/{{nb}}", align="C")

    def heading(self, text: str, size: int = 14) -> None:
        self.ln(3)
        self.set_font(FONT, style="B", size=size)
        self.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)
        self.set_font(FONT, size=10)

    def paragraph(self, text: str, *, bold: bool = False, size: int = 10) -> None:
        self.set_font(FONT, style="B" if bold else "", size=size)
        self.multi_cell(0, LINE, text or "–", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=10)

    def facts(self, rows: list[tuple[str, str]]) -> None:
        """Label and value, one pair a line."""
        with self.table(
            col_widths=(45, 135),
            first_row_as_headings=False,
            borders_layout="NONE",
            line_height=LINE,
            text_align="LEFT",
        ) as table:
            for label, value in rows:
                row = table.row()
                row.cell(label)
                row.cell(value or "–")
        self.ln(1)

    def listing(self, headings: tuple[str, ...], widths: tuple[int, ...], rows) -> None:
        self.set_font(FONT, size=8.5)
        with self.table(
            col_widths=widths,
            line_height=4.5,
            text_align="LEFT",
            headings_style=HEADINGS,
        ) as table:
            head = table.row()
            for heading in headings:
                head.cell(heading)
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(str(value) if value not in (None, "") else "–")
        self.set_font(FONT, size=10)
        self.ln(1)


def _email_section(pdf: EvidencePDF, email: EmailEvidence) -> None:
    pdf.paragraph(email.title, bold=True, size=11)
    pdf.facts(
        [
            ("Subject", email.subject),
            ("To", email.to_address),
            ("Written", _when(email.written_at)),
            ("Sent", _when(email.sent_at, "not sent")),
            (
                "Delivery",
                email.delivery + (f", {_when(email.delivery_at)}" if email.delivery_at else ""),
            ),
            ("Delivered", _when(email.delivered_at, "no delivery reported")),
        ]
    )
    pdf.paragraph("The email's text, as sent:", bold=True)
    pdf.paragraph(email.body_text or "(its text was not kept)")
    pdf.ln(2)


def dispute_pdf(evidence: DisputeEvidence) -> bytes:
    """The evidence as one PDF document (its bytes)."""
    dispute = evidence.dispute
    pdf = EvidencePDF(f"Evidence for dispute {dispute.dispute_id}")
    pdf.set_font(FONT, size=10)

    # Title page
    pdf.add_page()
    pdf.heading("Evidence for a disputed payment", size=18)
    pdf.paragraph(settings.OSCAR_SHOP_NAME, bold=True, size=11)
    pdf.ln(2)
    pdf.facts(
        [
            ("Dispute", dispute.dispute_id),
            ("Payment disputed", dispute.payment_intent_id or dispute.stripe_charge_id),
            ("Amount", evidence.amount),
            ("Reason given", evidence.reason),
            ("Status", evidence.status),
            ("Opened", _when(dispute.opened_at)),
            ("Respond by", _when(evidence.due_by, "no deadline given")),
        ]
    )
    pdf.heading("Summary", size=13)
    if evidence.plan is not None:
        pdf.facts(
            [
                ("Customer", f"{evidence.customer_name} <{evidence.customer_email}>".strip()),
                ("Order", f"{evidence.order_number}, placed {_when(evidence.placed_at)}"),
                ("Product", evidence.product_title),
            ]
        )
        consent = evidence.consent
        points = [
            "The customer agreed to the terms below by ticking a box at checkout"
            + (f" on {_when(consent.accepted_at)} from {consent.ip_address}." if consent else "."),
            f"They were sent the order confirmation and {len(evidence.reminders)} "
            "reminder(s) before the payments.",
            f"They downloaded or played the program's files {evidence.downloads_total} time(s).",
            evidence.quit_statement,
        ]
        for point in points:
            pdf.paragraph(f"• {point}")
    else:
        pdf.paragraph(evidence.quit_statement)

    if evidence.plan is None:
        return bytes(pdf.output())

    # 1. The offer and its disclosure
    pdf.add_page()
    pdf.heading("1. The offer and its disclosure, as shown at checkout")
    for line in evidence.offer:
        pdf.paragraph(line)
    if evidence.consent is not None:
        pdf.ln(1)
        pdf.paragraph("The consent's words, next to the button:", bold=True)
        pdf.paragraph(evidence.consent.text)
        if evidence.consent.immediate_access_text:
            pdf.paragraph("Immediate access:", bold=True)
            pdf.paragraph(evidence.consent.immediate_access_text)

    # 2. The consent
    pdf.heading("2. The consent")
    consent = evidence.consent
    if consent is None:
        pdf.paragraph("No consent was recorded for this order.")
    else:
        pdf.facts(
            [
                ("Accepted at", _when(consent.accepted_at)),
                ("IP address", consent.ip_address or ""),
                ("Browser", consent.user_agent),
                ("Country", consent.country),
                (
                    "Immediate access",
                    "requested" if consent.immediate_access_requested else "not requested",
                ),
            ]
        )

    # 3. The receipt
    pdf.heading("3. The order confirmation (the $0 receipt)")
    if evidence.receipt is None:
        pdf.paragraph("No order confirmation was recorded for this order.")
    else:
        _email_section(pdf, evidence.receipt)

    # 4. The reminders
    pdf.heading("4. The reminders before the payments")
    if not evidence.reminders:
        pdf.paragraph("No reminder was recorded for this program.")
    for email in evidence.reminders:
        _email_section(pdf, email)

    # 5. The download log
    pdf.heading("5. Downloads and plays of the program")
    shown = len(evidence.downloads)
    pdf.paragraph(
        f"{evidence.downloads_total} in all"
        + (f"; the first {shown} listed." if shown < evidence.downloads_total else ".")
    )
    if evidence.downloads:
        pdf.listing(
            ("When", "File", "What", "IP address", "Browser"),
            (38, 45, 22, 28, 47),
            (
                (_when(d.at), d.file_title, d.kind, d.ip_address, d.user_agent)
                for d in evidence.downloads
            ),
        )

    # 6. No quit
    pdf.heading("6. Whether the tryout was quit")
    pdf.paragraph(evidence.quit_statement)

    # 7. Payments and refunds
    pdf.heading("7. Payments and refunds")
    pdf.listing(
        ("Payment", "Due", "Amount", "Status", "Paid", "Refunded", "Stripe PaymentIntent"),
        (18, 30, 20, 22, 30, 20, 40),
        (
            (
                f"{p.sequence} of {p.count}" + (" (disputed)" if p.disputed else ""),
                _when(p.due_at),
                cents_as_money(p.amount_cents, p.currency),
                p.status,
                _when(p.paid_at),
                cents_as_money(p.refunded_cents, p.currency) if p.refunded_cents else "",
                p.payment_intent_id,
            )
            for p in evidence.payments
        ),
    )
    if evidence.refunds:
        pdf.listing(
            ("Refund requested", "Payment", "Amount", "Why", "Status", "Stripe refund"),
            (32, 18, 22, 45, 25, 38),
            (
                (
                    _when(r.requested_at),
                    r.sequence,
                    cents_as_money(r.amount_cents, r.currency),
                    r.reason,
                    r.status,
                    r.stripe_refund_id,
                )
                for r in evidence.refunds
            ),
        )
    else:
        pdf.paragraph("No refund was asked for or made.")

    # 8. The customer and the order
    pdf.heading("8. The customer and the order")
    pdf.facts(
        [
            ("Name", evidence.customer_name),
            ("Email", evidence.customer_email),
            ("Order", evidence.order_number),
            ("Placed", _when(evidence.placed_at)),
            ("Product", evidence.product_title),
        ]
    )
    return bytes(pdf.output())
