"""The customer's own data, as one file they can download from their account.

Everything we hold about a person, in their words: profile, orders, installment plans and
their payments, what they agreed to at checkout, their downloads, the card on file (brand
and last four digits only) and the emails we sent them. The number of queries does not grow
with the number of orders: each kind of row is read once."""

from datetime import date, datetime

from oscar.core.loading import get_model

from shop.billing.models import InstallmentPlan, TrialConsent
from shop.billing.money import from_minor_units
from shop.downloads.models import DownloadLog, PlaybackPosition

Order = get_model("order", "Order")
Email = get_model("communication", "Email")
UserAddress = get_model("address", "UserAddress")


def personal_data_filename(*, on: date) -> str:
    """The downloaded file's name, e.g. ``my-data-2026-11-29.json``."""
    return f"my-data-{on.isoformat()}.json"


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _money(cents: int, currency: str) -> str:
    return str(from_minor_units(cents, currency))


def _address(address) -> dict | None:
    if address is None:
        return None
    return {
        "name": f"{address.first_name} {address.last_name}".strip(),
        "lines": [
            value
            for value in (
                address.line1,
                address.line2,
                address.line3,
                address.line4,
                address.state,
                address.postcode,
                address.country_id,
            )
            if value
        ],
        "phone_number": str(getattr(address, "phone_number", "") or ""),
    }


def personal_data_export(*, user) -> dict:
    """Everything stored about ``user`` as JSON-ready data (never Stripe secrets or ids)."""
    orders = (
        Order.objects.filter(user=user)
        .select_related("shipping_address", "billing_address")
        .prefetch_related("lines")
        .order_by("date_placed", "pk")
    )
    plans = (
        InstallmentPlan.objects.filter(user=user)
        .select_related("order", "product")
        .prefetch_related("charges", "refunds")
        .order_by("created_at", "pk")
    )
    consents = (
        TrialConsent.objects.filter(order__user=user)
        .select_related("order")
        .order_by("accepted_at", "pk")
    )
    downloads = DownloadLog.objects.filter(user=user).order_by("downloaded_at", "pk")
    positions = PlaybackPosition.objects.filter(user=user).select_related("program_file")
    emails = Email.objects.filter(user=user).order_by("date_sent", "pk")
    addresses = UserAddress.objects.filter(user=user).order_by("pk")

    plan_rows = list(plans)
    cards = []
    for plan in plan_rows:
        card = {"brand": plan.card_brand, "last4": plan.card_last4}
        if plan.card_last4 and card not in cards:
            cards.append(card)

    return {
        "profile": {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "date_joined": _when(user.date_joined),
            "last_login": _when(user.last_login),
        },
        "address_book": [_address(address) for address in addresses],
        "orders": [
            {
                "number": order.number,
                "placed_at": _when(order.date_placed),
                "status": order.status,
                "currency": order.currency,
                "total_incl_tax": str(order.total_incl_tax),
                "total_excl_tax": str(order.total_excl_tax),
                "shipping_incl_tax": str(order.shipping_incl_tax),
                "shipping_address": _address(order.shipping_address),
                "billing_address": _address(order.billing_address),
                "lines": [
                    {
                        "title": line.title,
                        "quantity": line.quantity,
                        "price_incl_tax": str(line.line_price_incl_tax),
                        "status": line.status,
                    }
                    for line in order.lines.all()
                ],
            }
            for order in orders
        ],
        "installment_plans": [
            {
                "order_number": plan.order.number,
                "product": plan.product.title,
                "status": plan.get_status_display(),
                "with_trial": plan.with_trial,
                "trial_started_at": _when(plan.trial_started_at),
                "trial_ends_at": _when(plan.trial_ends_at),
                "currency": plan.currency,
                "total": _money(plan.total_cents, plan.currency),
                "card": {"brand": plan.card_brand, "last4": plan.card_last4},
                "payments": [
                    {
                        "installment": charge.sequence,
                        "due_at": _when(charge.due_at),
                        "amount": _money(charge.amount_cents, charge.currency),
                        "status": charge.get_status_display(),
                        "paid_at": _when(charge.paid_at),
                        "refunded": _money(charge.refunded_cents, charge.currency),
                    }
                    for charge in plan.charges.all()
                ],
                "refunds": [
                    {
                        "installment": next(
                            (c.sequence for c in plan.charges.all() if c.pk == refund.charge_id),
                            None,
                        ),
                        "amount": _money(refund.amount_cents, refund.currency),
                        "reason": refund.get_reason_display(),
                        "status": refund.get_status_display(),
                        "requested_at": _when(refund.created_at),
                        "finished_at": _when(refund.finished_at),
                    }
                    for refund in plan.refunds.all()
                ],
            }
            for plan in plan_rows
        ],
        "consents": [
            {
                "order_number": consent.order.number,
                "text": consent.text,
                "accepted_at": _when(consent.accepted_at),
                "ip_address": consent.ip_address,
                "user_agent": consent.user_agent,
                "country": consent.country,
                "immediate_access_requested": consent.immediate_access_requested,
                "immediate_access_text": consent.immediate_access_text,
            }
            for consent in consents
        ],
        "downloads": [
            {
                "file": log.file_title,
                "kind": log.kind,
                "downloaded_at": _when(log.downloaded_at),
                "ip_address": log.ip_address,
                "user_agent": log.user_agent,
                "byte_range": log.byte_range,
            }
            for log in downloads
        ],
        # Where they stopped playing each audio or video, so another device resumes there.
        "playback_positions": [
            {
                "file": position.program_file.title,
                "seconds": position.seconds,
                "updated_at": _when(position.updated_at),
            }
            for position in positions.order_by("pk")
        ],
        "saved_cards": cards,
        "emails": [
            {
                "to": email.email,
                "subject": email.subject,
                "sent_at": _when(email.date_sent),
                "body": email.body_text,
            }
            for email in emails
        ],
    }
