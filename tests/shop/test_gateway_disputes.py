"""Evidence sent to Stripe: the PDF uploaded as a file, the dispute's evidence fields and
``submit=true``, checked against recorded Stripe answers served over real HTTP (the
stand-in has no disputes), with what the server received asserted."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from shop import gateway
from shop.billing.disputes import EvidenceNotSent, dispute_evidence_submit
from shop.billing.models import Dispute
from tests.shop import dispute_samples as sample
from tests.shop.recorded_stripe import recorded, recorded_stripe_running

FILE_ID = recorded("file_created.json")["id"]


@pytest.fixture
def stripe_recorded(settings):
    with recorded_stripe_running() as server:
        settings.STRIPE_API_BASE = server.url
        settings.STRIPE_FILES_BASE = ""
        settings.STRIPE_MAX_NETWORK_RETRIES = 0
        yield server


def test_a_file_goes_to_stripes_files_address_as_dispute_evidence(settings, stripe_recorded):
    # Uploads have an address of their own at Stripe: the API's is never asked.
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    settings.STRIPE_FILES_BASE = stripe_recorded.url

    file_id = gateway.dispute_file_upload(file_name="evidence-dp_1.pdf", content=b"%PDF-1.4 x")

    assert file_id == FILE_ID
    (upload,) = stripe_recorded.requests
    assert (upload.method, upload.path) == ("POST", "/v1/files")
    assert upload.fields == {"purpose": "dispute_evidence"}
    assert upload.files == {"file": ("evidence-dp_1.pdf", b"%PDF-1.4 x")}


def test_evidence_is_submitted_with_its_fields_and_submit_true(stripe_recorded):
    answer = gateway.dispute_evidence_submit(
        dispute_id="dp_123",
        evidence={"customer_name": "Zoë Ångström", "uncategorized_file": FILE_ID},
        idempotency_key="dispute-evidence-dp_123-1",
    )

    assert answer == gateway.DisputeInfo(
        id="dp_123",
        status="under_review",
        amount_cents=9850,
        currency="usd",
        reason="fraudulent",
        evidence_due_by=answer.evidence_due_by,
        submission_count=1,
    )
    assert answer.evidence_due_by is not None
    (update,) = stripe_recorded.requests
    assert (update.method, update.path) == ("POST", "/v1/disputes/dp_123")
    assert update.fields == {
        "evidence[customer_name]": "Zoë Ångström",
        "evidence[uncategorized_file]": FILE_ID,
        "submit": "true",
    }
    assert update.idempotency_key == "dispute-evidence-dp_123-1"


def test_a_closed_dispute_is_refused_in_plain_words(stripe_recorded):
    stripe_recorded.closed.add("dp_closed")
    with pytest.raises(gateway.DisputeNotOpen) as refused:
        gateway.dispute_evidence_submit(
            dispute_id="dp_closed", evidence={"customer_name": "x"}, idempotency_key="k"
        )
    assert "no longer accepts evidence" in refused.value.user_message
    assert "already closed" not in refused.value.user_message  # Stripe's words stay in the log


def test_fields_stripe_does_not_know_are_refused_before_asking(stripe_recorded):
    with pytest.raises(ValueError, match="customer_shoe_size"):
        gateway.dispute_evidence_submit(
            dispute_id="dp_1", evidence={"customer_shoe_size": "9"}, idempotency_key="k"
        )
    assert stripe_recorded.requests == []


@pytest.mark.django_db
def test_the_evidence_pack_goes_to_stripe_once_and_is_shown_as_sent(stripe_recorded, shop_manager):
    disputed = sample.disputed_program()

    dispute_evidence_submit(dispute_pk=disputed.dispute.pk, actor=shop_manager)

    upload, update = stripe_recorded.requests
    assert upload.path == "/v1/files" and upload.fields == {"purpose": "dispute_evidence"}
    name, pdf = upload.files["file"]
    assert name == "evidence-dp_sample_1.pdf" and pdf.startswith(b"%PDF")
    assert update.path == "/v1/disputes/dp_sample_1"
    sent = update.fields
    assert sent["submit"] == "true"
    assert sent["evidence[uncategorized_file]"] == FILE_ID
    assert sent["evidence[customer_name]"] == "Zoë Ångström"
    assert sent["evidence[customer_email_address]"] == "zoe@example.com"
    assert sent["evidence[customer_purchase_ip]"] == sample.IP
    assert sent["evidence[service_date]"] == "2026-10-01"
    assert sent["evidence[cancellation_policy_disclosure]"] == sample.CONSENT_TEXT
    assert sent["evidence[refund_policy_disclosure]"] == sample.IMMEDIATE_TEXT
    assert sample.DOWNLOAD_TITLE in sent["evidence[access_activity_log]"]
    assert "The tryout was not quit" in sent["evidence[cancellation_rebuttal]"]
    assert "Get Free from That Back Pain" in sent["evidence[product_description]"]
    assert "pi_disputed_1" in sent["evidence[uncategorized_text]"]

    dispute = Dispute.objects.get(pk=disputed.dispute.pk)
    assert dispute.evidence_submitted_by == shop_manager
    assert dispute.evidence_submitted_at <= timezone.now()
    assert (dispute.evidence_file_id, dispute.status) == (FILE_ID, "under_review")
    assert disputed.plan.events.filter(kind="dispute_evidence_sent", actor=shop_manager).exists()

    # A second send (another click, another author) never reaches Stripe.
    with pytest.raises(EvidenceNotSent, match="The evidence was sent to Stripe on"):
        dispute_evidence_submit(dispute_pk=disputed.dispute.pk, actor=shop_manager)
    assert len(stripe_recorded.requests) == 2


@pytest.mark.django_db
def test_a_dispute_closed_at_stripe_is_not_marked_sent(stripe_recorded, shop_manager):
    disputed = sample.disputed_program()
    stripe_recorded.closed.add("dp_sample_1")

    with pytest.raises(gateway.DisputeNotOpen):
        dispute_evidence_submit(dispute_pk=disputed.dispute.pk, actor=shop_manager)

    dispute = Dispute.objects.get(pk=disputed.dispute.pk)
    assert dispute.evidence_submitted_at is None and dispute.evidence_submitted_by is None
    assert dispute.evidence_file_id == "" and dispute.status == "needs_response"
    assert not disputed.plan.events.filter(kind="dispute_evidence_sent").exists()


@pytest.mark.django_db
def test_no_evidence_goes_after_the_deadline_or_once_the_dispute_is_decided(
    stripe_recorded, shop_manager
):
    late = sample.disputed_program(due_by=timezone.now() - timedelta(hours=1))
    with pytest.raises(EvidenceNotSent, match="The deadline for evidence passed"):
        dispute_evidence_submit(dispute_pk=late.dispute.pk, actor=shop_manager)
    Dispute.objects.filter(pk=late.dispute.pk).update(status="lost")
    with pytest.raises(EvidenceNotSent, match="“Lost”"):
        dispute_evidence_submit(dispute_pk=late.dispute.pk, actor=shop_manager)
    assert stripe_recorded.requests == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_sends_at_once_reach_stripe_once(stripe_recorded, shop_manager):
    disputed = sample.disputed_program()
    stripe_recorded.hold = True
    outcome: dict = {}

    def first_send():
        try:
            outcome["first"] = dispute_evidence_submit(
                dispute_pk=disputed.dispute.pk, actor=shop_manager
            )
        finally:
            connection.close()

    first = threading.Thread(target=first_send)
    first.start()
    # The first send is at Stripe, its upload held there: a second one now is refused.
    assert stripe_recorded.upload_arrived.wait(timeout=30)
    with pytest.raises(EvidenceNotSent, match="The evidence is being sent to Stripe"):
        dispute_evidence_submit(dispute_pk=disputed.dispute.pk, actor=shop_manager)
    stripe_recorded.release.set()
    first.join(timeout=30)

    assert outcome["first"].evidence_file_id == FILE_ID
    assert [r.path for r in stripe_recorded.requests] == [
        "/v1/files",
        "/v1/disputes/dp_sample_1",
    ]
