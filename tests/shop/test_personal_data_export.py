"""'Download my data': one JSON file with exactly the signed-in customer's data."""

import json

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oscar.core.loading import get_model

from shop.accounts.personal_data import personal_data_export
from shop.billing.models import TrialConsent
from shop.downloads.models import DownloadKind, DownloadLog, PlaybackPosition, ProgramFile
from tests.shop.billing_helpers import day
from tests.shop.download_factories import grant_with_plan
from tests.shop.factories import ProgramFactory

Email = get_model("communication", "Email")

pytestmark = pytest.mark.django_db

DOWNLOAD_URL = "/shop/accounts/my-data/download/"


@pytest.fixture
def other_reader(django_user_model):
    return django_user_model.objects.create_user(
        "other", "other@example.com", "another-long-pass", first_name="Sam"
    )


def traces_for(user, plan, *, ip: str):
    """A download and an email for ``user``, as the site records them."""
    DownloadLog.objects.create(
        user=user,
        product=plan.product,
        file_title=f"Book for {user.username}",
        ip_address=ip,
        user_agent=f"Browser of {user.username}",
    )
    Email.objects.create(
        user=user, email=user.email, subject=f"Hello {user.first_name}", body_text="Welcome."
    )


def test_the_file_holds_exactly_the_customers_data_and_no_stripe_secrets(
    make_plan, billing_reader, other_reader, client
):
    mine = make_plan()
    theirs = make_plan(user=other_reader, card_number="5555555555554444")
    traces_for(billing_reader, mine, ip="203.0.113.7")
    traces_for(other_reader, theirs, ip="198.51.100.9")

    client.force_login(billing_reader)
    with time_machine.travel(day(5), tick=False):
        response = client.get(DOWNLOAD_URL)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert 'filename="my-data-2026-11-29.json"' in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    data = json.loads(response.content)
    body = response.content.decode()

    assert data["profile"]["email"] == "reader@example.com"
    assert data["profile"]["first_name"] == "Robin"
    assert [o["number"] for o in data["orders"]] == [str(mine.order.number)]
    assert data["orders"][0]["lines"][0]["quantity"] == 1
    assert [p["order_number"] for p in data["installment_plans"]] == [str(mine.order.number)]
    payments = data["installment_plans"][0]["payments"]
    assert [(p["installment"], p["amount"], p["status"]) for p in payments] == [
        (1, "98.50", "Scheduled"),
        (2, "98.50", "Scheduled"),
    ]
    consent = TrialConsent.objects.get(order=mine.order)
    assert data["consents"] == [
        {
            "order_number": str(mine.order.number),
            "text": consent.text,
            "accepted_at": consent.accepted_at.isoformat(),
            "ip_address": "127.0.0.1",
            "user_agent": "tests",
            "country": "US",
            "immediate_access_requested": False,
            "immediate_access_text": "",
        }
    ]
    assert [d["ip_address"] for d in data["downloads"]] == ["203.0.113.7"]
    assert data["saved_cards"] == [{"brand": "visa", "last4": "4242"}]
    assert [e["subject"] for e in data["emails"]] == ["Hello Robin"]
    # Nothing of the other customer, and no Stripe identifiers at all.
    for foreign in ("other@example.com", "Sam", "198.51.100.9", f'"{theirs.order.number}"'):
        assert foreign not in body
    for secret in (mine.stripe_customer_id, mine.stripe_payment_method_id, "seti_", "pi_"):
        assert secret not in body


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(DOWNLOAD_URL)
    assert response.status_code == 302
    assert "/shop/accounts/login/" in response["Location"]


def export_queries(user) -> int:
    with CaptureQueriesContext(connection) as queries:
        json.dumps(personal_data_export(user=user), default=str)
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_orders(billing_reader):
    product = ProgramFactory()
    grant = grant_with_plan(user=billing_reader, product=product)
    plan = grant.order.installment_plan
    traces_for(billing_reader, plan, ip="203.0.113.7")
    one_order = export_queries(billing_reader)

    for _ in range(6):
        grant = grant_with_plan(user=billing_reader, product=product)
        traces_for(billing_reader, grant.order.installment_plan, ip="203.0.113.7")
    assert len(personal_data_export(user=billing_reader)["orders"]) == 7
    # orders, their lines, plans, their installments and refunds, consents, downloads,
    # playback positions, emails, address book: one query each.
    assert export_queries(billing_reader) == one_order == 10


def test_plays_and_playback_positions_are_in_the_file(billing_reader, other_reader):
    product = ProgramFactory()
    session = ProgramFile.objects.create(product=product, title="Session 1", file="p/s1.webm")
    PlaybackPosition.objects.create(user=billing_reader, program_file=session, seconds=42.5)
    PlaybackPosition.objects.create(user=other_reader, program_file=session, seconds=7)
    DownloadLog.objects.create(
        user=billing_reader, product=product, file_title="Session 1", kind=DownloadKind.PLAY
    )

    data = personal_data_export(user=billing_reader)

    assert [(p["file"], p["seconds"]) for p in data["playback_positions"]] == [("Session 1", 42.5)]
    assert [(d["file"], d["kind"]) for d in data["downloads"]] == [("Session 1", "play")]
