"""Disputed payments: Stripe's signed dispute events recorded on one dispute each (older
events change nothing, replays nothing at all), the author told once, and the back
office's Disputes screens: the listing by deadline, the evidence page, the PDF, and the
evidence sent once after asking."""

import io
import json
import smtplib
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.utils import timezone
from pypdf import PdfReader

from shop.billing.models import ChargeStatus, Dispute, StripeEvent
from shop.gateway.testing import webhook_signature_header
from tests.shop import dispute_samples as sample
from tests.shop.billing_helpers import WEBHOOK_URL
from tests.shop.factories import InstallmentPlanFactory
from tests.shop.recorded_stripe import recorded, recorded_stripe_running
from web.dates import long_date

pytestmark = pytest.mark.django_db

DUE = datetime(2026, 12, 21, 23, 59, 59, tzinfo=UTC)
T0 = int(datetime(2026, 11, 29, 12, 0, tzinfo=UTC).timestamp())


def dispute_event(client, type_: str, obj: dict, *, created: int, event_id: str | None = None):
    """A dispute event as Stripe signs it, created at ``created`` (Stripe's clock)."""
    payload = json.dumps(
        {
            "id": event_id or f"evt_{uuid.uuid4().hex[:16]}",
            "object": "event",
            "type": type_,
            "created": created,
            "livemode": False,
            "data": {"object": obj},
        }
    ).encode()
    header = webhook_signature_header(payload, secret=settings.STRIPE_WEBHOOK_SECRET)
    return client.post(
        WEBHOOK_URL, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )


def dispute_object(intent_id: str = "pi_paid_1", **changes) -> dict:
    return {
        "id": "dp_1QdV3x2eZvKYlo2C0v9ZbQpL",
        "object": "dispute",
        "amount": 9850,
        "currency": "usd",
        "charge": "ch_3QdUzq2eZvKYlo2C1Zk0Y8aM",
        "payment_intent": intent_id,
        "reason": "fraudulent",
        "status": "needs_response",
        "created": T0,
        "evidence_details": {
            "due_by": int(DUE.timestamp()),
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        **changes,
    }


@pytest.fixture
def paid_plan(db):
    plan = InstallmentPlanFactory(with_installments=True, status="installment_paid")
    plan.charges.filter(sequence=1).update(
        status=ChargeStatus.PAID, payment_intent_id="pi_paid_1", paid_at=timezone.now()
    )
    return plan


def test_a_new_dispute_is_recorded_noted_on_the_plan_and_told_to_the_author_once(
    client, paid_plan, shop_manager, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.SHOP_NOTIFICATIONS_EMAIL = "author@example.com"
    with django_capture_on_commit_callbacks(execute=True):
        first = dispute_event(
            client, "charge.dispute.created", dispute_object(), created=T0, event_id="evt_dp_1"
        )
        replay = dispute_event(
            client, "charge.dispute.created", dispute_object(), created=T0, event_id="evt_dp_1"
        )
    assert first.content == b"dispute recorded" and replay.content == b"duplicate"

    dispute = Dispute.objects.get()
    assert dispute.dispute_id == "dp_1QdV3x2eZvKYlo2C0v9ZbQpL"
    assert (dispute.plan, dispute.charge) == (paid_plan, paid_plan.charges.get(sequence=1))
    assert (dispute.amount_cents, dispute.currency, dispute.reason) == (9850, "USD", "fraudulent")
    assert (dispute.status, dispute.evidence_due_by) == ("needs_response", DUE)
    assert dispute.opened_at == dispute.last_event_at == datetime.fromtimestamp(T0, tz=UTC)
    assert dispute.stripe_charge_id == "ch_3QdUzq2eZvKYlo2C1Zk0Y8aM"

    note = paid_plan.events.get(kind="dispute_opened")
    assert note.actor_label == "stripe"
    assert "disputed payment 1 of 2 ($98.50" in note.note
    assert f"respond by {long_date(DUE)}" in note.note

    (told,) = mailoutbox
    assert sorted(told.to) == ["author@example.com", "manager@example.com"]
    assert long_date(DUE) in told.subject
    assert f"/cms/disputes/{dispute.pk}/" in told.body


def test_older_events_never_overwrite_newer_ones(client, paid_plan):
    closed = dispute_object(status="lost")
    assert dispute_event(client, "charge.dispute.closed", closed, created=T0 + 300).content == (
        b"dispute recorded"
    )
    # The creation and an update, sent earlier, arrive late.
    late_update = dispute_event(
        client, "charge.dispute.updated", dispute_object(status="under_review"), created=T0 + 200
    )
    late_created = dispute_event(client, "charge.dispute.created", dispute_object(), created=T0)
    assert (
        late_update.content
        == late_created.content
        == (b"older than the dispute as recorded: nothing changed")
    )

    dispute = Dispute.objects.get()
    assert dispute.status == "lost"
    assert dispute.last_event_at == datetime.fromtimestamp(T0 + 300, tz=UTC)
    assert paid_plan.events.filter(kind="dispute_opened").count() == 1
    assert StripeEvent.objects.filter(processed_at__isnull=False).count() == 3


def test_each_kind_of_dispute_event_updates_the_one_dispute(client, paid_plan):
    steps = [
        ("charge.dispute.created", {}),
        ("charge.dispute.funds_withdrawn", {}),
        ("charge.dispute.updated", {"status": "under_review", "amount": 9000}),
        ("charge.dispute.closed", {"status": "won", "amount": 9000}),
        ("charge.dispute.funds_reinstated", {"status": "won", "amount": 9000}),
    ]
    for n, (type_, changes) in enumerate(steps):
        response = dispute_event(client, type_, dispute_object(**changes), created=T0 + n)
        assert response.status_code == 200

    dispute = Dispute.objects.get()
    assert (dispute.status, dispute.amount_cents) == ("won", 9000)
    closed = paid_plan.events.get(kind="dispute_closed")
    assert closed.note.endswith("closed: Won.")
    # A status that returns to the same closed one is not noted twice.
    assert paid_plan.events.filter(kind="dispute_closed").count() == 1


def test_a_dispute_naming_only_its_charge_finds_the_payment_through_stripe(
    client, paid_plan, settings
):
    charge = recorded("charge.json")
    paid_plan.charges.filter(sequence=1).update(payment_intent_id=charge["payment_intent"])
    with recorded_stripe_running() as server:
        settings.STRIPE_API_BASE = server.url
        settings.STRIPE_MAX_NETWORK_RETRIES = 0
        obj = dispute_object(intent_id=None, charge=charge["id"])
        response = dispute_event(client, "charge.dispute.created", obj, created=T0)
    assert response.content == b"dispute recorded"
    assert [r.path for r in server.requests] == [f"/v1/charges/{charge['id']}"]
    dispute = Dispute.objects.get()
    assert dispute.payment_intent_id == charge["payment_intent"]
    assert dispute.plan == paid_plan


def test_a_dispute_of_a_payment_the_shop_does_not_know_is_kept_unlinked(client, paid_plan):
    response = dispute_event(
        client, "charge.dispute.created", dispute_object(intent_id="pi_elsewhere"), created=T0
    )
    assert response.content == b"dispute on an unknown payment"
    dispute = Dispute.objects.get()
    assert dispute.plan is None and dispute.payment_intent_id == "pi_elsewhere"
    assert not paid_plan.events.filter(kind="dispute_opened").exists()


# The back office


def test_the_listing_puts_the_soonest_deadline_first_and_flags_the_overdue(client, shop_manager):
    soon = sample.disputed_program(due_by=timezone.now() + timedelta(days=2))
    later = Dispute.objects.create(
        dispute_id="dp_later",
        plan=soon.plan,
        amount_cents=9850,
        currency="USD",
        reason="subscription_canceled",
        status="needs_response",
        evidence_due_by=timezone.now() + timedelta(days=9),
        opened_at=timezone.now(),
    )
    overdue = Dispute.objects.create(
        dispute_id="dp_overdue",
        plan=soon.plan,
        amount_cents=9850,
        currency="USD",
        reason="general",
        status="needs_response",
        evidence_due_by=timezone.now() - timedelta(hours=3),
        opened_at=timezone.now() - timedelta(days=20),
    )
    client.force_login(shop_manager)
    page = client.get("/cms/disputes/").content.decode()

    rows = [page.index(f"/cms/disputes/{d.pk}/") for d in (overdue, soon.dispute, later)]
    assert rows == sorted(rows)
    assert page.count("data-overdue") == 1
    assert "Zoë Ångström" in page and "$98.50" in page and "Needs a response" in page

    found = client.get("/cms/disputes/?q=dp_later").content.decode()
    assert f"/cms/disputes/{later.pk}/" in found and f"/cms/disputes/{overdue.pk}/" not in found


def test_the_dispute_page_shows_every_item_and_the_pdf_opens(client, shop_manager):
    disputed = sample.disputed_program()
    client.force_login(shop_manager)
    page = client.get(f"/cms/disputes/{disputed.dispute.pk}/").content.decode()
    for item in (
        "The offer and its disclosure",
        "“Quit 2-Week Tryout”",
        sample.IP,
        sample.BROWSER,
        sample.RECEIPT_SUBJECT,
        sample.REMINDER_SUBJECT,
        sample.DOWNLOAD_TITLE,
        "The tryout was not quit",
        "pi_disputed_1",
        "zoe@example.com",
        "Download evidence (PDF)",
        "Send the evidence to Stripe",
        f"/cms/programs/{disputed.plan.pk}/",
    ):
        assert item in page, item

    pdf = client.get(f"/cms/disputes/{disputed.dispute.pk}/evidence.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert 'filename="evidence-dp_sample_1.pdf"' in pdf["Content-Disposition"]
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) >= 2

    # The program's page links its disputes.
    program = client.get(f"/cms/programs/{disputed.plan.pk}/").content.decode()
    assert f"/cms/disputes/{disputed.dispute.pk}/" in program


def test_sending_asks_first_then_sends_once_and_shows_who_sent_it(client, shop_manager, settings):
    disputed = sample.disputed_program()
    url = f"/cms/disputes/{disputed.dispute.pk}/send/"
    client.force_login(shop_manager)
    with recorded_stripe_running() as server:
        settings.STRIPE_API_BASE = server.url
        settings.STRIPE_MAX_NETWORK_RETRIES = 0
        asked = client.get(url)
        assert asked.status_code == 200 and "Stripe takes evidence once" in asked.content.decode()
        assert server.requests == []

        first = client.post(url, {"confirm": "yes"})
        again = client.post(url, {"confirm": "yes"}, follow=True)
        assert first.status_code == 302
        assert [r.path for r in server.requests] == ["/v1/files", "/v1/disputes/dp_sample_1"]

    page = again.content.decode()
    assert "The evidence was sent to Stripe on" in page  # the refusal of the second click
    sent = page[page.index('id="evidence-sent"') :]
    assert sent.split("</dd>")[0].endswith(f"by {shop_manager.get_full_name()}")
    assert "Evidence under review" in page
    assert 'id="evidence-send"' not in page
    history = client.get("/cms/reports/site-history/").content.decode()
    assert "Dispute evidence sent to Stripe" in history


def test_who_may_see_and_send(client, editor, shop_manager, django_user_model):
    disputed = sample.disputed_program()
    pages = [
        "/cms/disputes/",
        f"/cms/disputes/{disputed.dispute.pk}/",
        f"/cms/disputes/{disputed.dispute.pk}/evidence.pdf",
        f"/cms/disputes/{disputed.dispute.pk}/send/",
    ]
    client.force_login(editor)
    for url in pages:
        assert client.get(url).status_code in (302, 403), url

    # Someone who may see disputes but not send their evidence gets no button and a 403.
    viewer = django_user_model.objects.create_user("viewer", "viewer@example.com", "x-long-pass")
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["access_admin", "view_dispute"])
    )
    client.force_login(viewer)
    inspect = client.get(pages[1])
    assert inspect.status_code == 200 and 'id="evidence-send"' not in inspect.content.decode()
    assert client.get(pages[3]).status_code == 403
    assert client.post(pages[3], {"confirm": "yes"}).status_code == 403
    assert Dispute.objects.get().evidence_submitted_at is None

    client.force_login(shop_manager)
    assert all(client.get(url).status_code == 200 for url in pages)


def test_an_event_missing_part_of_the_dispute_keeps_what_is_known(client, paid_plan):
    dispute_event(client, "charge.dispute.created", dispute_object(), created=T0)
    partial = {"id": "dp_1QdV3x2eZvKYlo2C0v9ZbQpL", "object": "dispute", "status": "under_review"}
    response = dispute_event(client, "charge.dispute.updated", partial, created=T0 + 5)
    assert response.content == b"dispute updated: under_review"
    dispute = Dispute.objects.get()
    assert (dispute.amount_cents, dispute.currency, dispute.reason) == (9850, "USD", "fraudulent")
    assert dispute.evidence_due_by == DUE and dispute.plan == paid_plan


def test_a_mail_server_down_loses_no_dispute(
    client, paid_plan, shop_manager, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    def refused(**kwargs):
        raise smtplib.SMTPServerDisconnected("mail server down")

    monkeypatch.setattr("shop.billing.disputes.send_mail", refused)
    with django_capture_on_commit_callbacks(execute=True):
        response = dispute_event(client, "charge.dispute.created", dispute_object(), created=T0)
    assert response.status_code == 200 and response.content == b"dispute recorded"
    assert Dispute.objects.get().plan == paid_plan
    assert "the author could not be told" in caplog.text
