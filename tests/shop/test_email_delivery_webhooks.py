"""The email provider's delivery events: real signed payloads posted to anymail's own
webhook views (Mailgun: HMAC signature and basic auth; Postmark: basic auth), stored once
each, refused when unsigned or wrongly signed, and one state per message whatever order
the events came in."""

import base64
import hashlib
import hmac
import json

import pytest

from shop.emails.delivery import delivery_states
from shop.emails.models import DeliveryEvent
from shop.emails.webhooks import PAYLOAD_MAX_CHARS

pytestmark = pytest.mark.django_db

MAILGUN_URL = "/shop/email-events/mailgun/tracking/"
POSTMARK_URL = "/shop/email-events/postmark/tracking/"
SIGNING_KEY = "key-mailgun-signing-for-tests"
BASIC_AUTH = "events:a-long-webhook-password"
MAILGUN_MESSAGE = "20261130.receipt.1@mg.example.com"
POSTMARK_MESSAGE = "883953f4-6105-42a2-a16a-77a8eac79483"


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.ANYMAIL = {
        "WEBHOOK_SECRET": BASIC_AUTH,
        "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
    }


def auth(credentials: str = BASIC_AUTH) -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(credentials.encode()).decode()}


def mailgun_event(event: str, *, token: str, timestamp: int = 1764500000, key=SIGNING_KEY, **data):
    """A Mailgun tracking webhook body, signed as Mailgun signs it."""
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {
        "signature": {"timestamp": str(timestamp), "token": token, "signature": signature},
        "event-data": {
            "event": event,
            "timestamp": timestamp + 0.25,
            "id": f"id-{token}",
            "recipient": "reader@example.com",
            "message": {"headers": {"message-id": MAILGUN_MESSAGE, "to": "reader@example.com"}},
            **data,
        },
    }


def mailgun_delivered(**kwargs):
    kwargs.setdefault("token", "t-delivered")
    return mailgun_event(
        "delivered",
        **{"delivery-status": {"code": 250, "message": "OK", "description": ""}},
        **kwargs,
    )


def mailgun_bounced(**kwargs):
    kwargs.setdefault("token", "t-bounced")
    return mailgun_event(
        "failed",
        severity="permanent",
        reason="bounce",
        **{
            "delivery-status": {
                "code": 550,
                "message": "5.1.1 The email account that you tried to reach does not exist",
                "description": "Not delivered: mailbox unknown",
            }
        },
        **kwargs,
    )


def post_mailgun(client, body, headers=None):
    return client.post(
        MAILGUN_URL, json.dumps(body), content_type="application/json", **(headers or auth())
    )


def post_postmark(client, body, headers=None):
    return client.post(
        POSTMARK_URL, json.dumps(body), content_type="application/json", **(headers or auth())
    )


POSTMARK_DELIVERY = {
    "RecordType": "Delivery",
    "ServerID": 23,
    "MessageStream": "outbound",
    "MessageID": POSTMARK_MESSAGE,
    "Recipient": "reader@example.com",
    "Tag": "ORDER_PLACED",
    "DeliveredAt": "2026-11-30T16:33:54.9070259Z",
    "Details": "smtp;250 2.0.0 OK",
    "Metadata": {},
}
POSTMARK_BOUNCE = {
    "RecordType": "Bounce",
    "ID": 4323372036854775807,
    "Type": "HardBounce",
    "TypeCode": 1,
    "Name": "Hard bounce",
    "Tag": "ORDER_PLACED",
    "MessageID": POSTMARK_MESSAGE,
    "Metadata": {},
    "ServerID": 23,
    "MessageStream": "outbound",
    "Description": "The server was unable to deliver your message (unknown user).",
    "Details": "smtp;550 5.1.1 user unknown",
    "Email": "reader@example.com",
    "From": "hello@example.com",
    "BouncedAt": "2026-11-30T16:30:00.0000000Z",
    "DumpAvailable": True,
    "Inactive": True,
    "CanActivate": True,
    "Subject": "Your order",
}
POSTMARK_COMPLAINT = {
    **POSTMARK_BOUNCE,
    "RecordType": "SpamComplaint",
    "ID": 4323372036854775808,
    "Type": "SpamComplaint",
    "TypeCode": 512,
    "Name": "Spam complaint",
    "Description": "The subscriber explicitly marked this message as spam.",
    "Details": "",
    "BouncedAt": "2026-11-30T17:00:00.0000000Z",
}


# Mailgun


def test_mailgun_delivered_bounced_and_complained_are_stored_each_with_its_facts(client):
    assert post_mailgun(client, mailgun_delivered(timestamp=1764500000)).status_code == 200
    assert post_mailgun(client, mailgun_bounced(timestamp=1764500100)).status_code == 200
    complained = mailgun_event("complained", token="t-complained", timestamp=1764500200)
    assert post_mailgun(client, complained).status_code == 200

    events = {event.kind: event for event in DeliveryEvent.objects.all()}
    assert set(events) == {"delivered", "bounced", "complained"}
    bounced = events["bounced"]
    assert bounced.provider == "Mailgun"
    assert bounced.event_id == "t-bounced"
    assert bounced.message_id == f"<{MAILGUN_MESSAGE}>"
    assert bounced.recipient == "reader@example.com"
    assert bounced.description == "Not delivered: mailbox unknown"
    assert "does not exist" in bounced.mta_response
    assert bounced.occurred_at.timestamp() == pytest.approx(1764500100.25)
    assert bounced.payload["event-data"]["reason"] == "bounce"
    assert events["delivered"].occurred_at < bounced.occurred_at


def test_a_temporary_mailgun_failure_is_a_delay_not_a_bounce(client):
    body = mailgun_event("failed", token="t-temp", severity="temporary", reason="generic")
    assert post_mailgun(client, body).status_code == 200
    assert DeliveryEvent.objects.get().kind == "deferred"


@pytest.mark.parametrize(
    "headers, key",
    [
        (auth(), "key-someone-else"),  # signed with another key
        (auth("events:wrong-password"), SIGNING_KEY),  # right signature, wrong password
        ({}, SIGNING_KEY),  # no basic auth at all
    ],
    ids=["wrong-signature", "wrong-basic-auth", "no-basic-auth"],
)
def test_mailgun_refuses_what_is_not_signed_right_and_stores_nothing(client, headers, key):
    body = mailgun_bounced(key=key)
    response = client.post(
        MAILGUN_URL, json.dumps(body), content_type="application/json", **headers
    )
    assert 400 <= response.status_code < 500
    assert not DeliveryEvent.objects.exists()


def test_a_tampered_mailgun_event_is_refused(client):
    body = mailgun_bounced()
    body["signature"]["timestamp"] = "1764509999"  # the signature covers the timestamp
    assert post_mailgun(client, body).status_code == 400
    assert not DeliveryEvent.objects.exists()


def test_the_same_mailgun_event_twice_is_stored_once(client):
    body = mailgun_bounced()
    assert post_mailgun(client, body).status_code == 200
    assert post_mailgun(client, body).status_code == 200
    assert DeliveryEvent.objects.count() == 1


def test_a_delivery_reported_after_the_bounce_leaves_the_message_bounced(client):
    # The provider sent them in this order; the delivery says it happened earlier or later,
    # it cannot undo the bounce.
    assert post_mailgun(client, mailgun_bounced(timestamp=1764500000)).status_code == 200
    assert post_mailgun(client, mailgun_delivered(timestamp=1764500300)).status_code == 200

    state = delivery_states([f"<{MAILGUN_MESSAGE}>"])[f"<{MAILGUN_MESSAGE}>"]
    assert state.kind == "bounced" and state.undelivered
    assert state.description == "Not delivered: mailbox unknown"


# Postmark


def test_postmark_delivery_bounce_and_spam_complaint_are_stored(client):
    for body in (POSTMARK_DELIVERY, POSTMARK_BOUNCE, POSTMARK_COMPLAINT):
        assert post_postmark(client, body).status_code == 200

    events = {event.kind: event for event in DeliveryEvent.objects.all()}
    assert set(events) == {"delivered", "bounced", "complained"}
    assert all(event.message_id == POSTMARK_MESSAGE for event in events.values())
    assert all(event.provider == "Postmark" for event in events.values())
    assert events["bounced"].event_id == str(POSTMARK_BOUNCE["ID"])
    assert events["bounced"].description.startswith("The server was unable to deliver")
    assert events["bounced"].mta_response == "smtp;550 5.1.1 user unknown"
    assert events["delivered"].occurred_at.isoformat().startswith("2026-11-30T16:33:54")
    # A delivery has no id from Postmark: its digest stands in.
    assert events["delivered"].event_id.startswith("sha256:")

    state = delivery_states([POSTMARK_MESSAGE])[POSTMARK_MESSAGE]
    assert state.kind == "complained" and state.label == "Marked as spam"
    assert state.delivered_at is not None


@pytest.mark.parametrize(
    "headers", [auth("events:wrong-password"), {}], ids=["wrong-basic-auth", "no-basic-auth"]
)
def test_postmark_refuses_an_event_without_the_right_password(client, headers):
    response = client.post(
        POSTMARK_URL, json.dumps(POSTMARK_BOUNCE), content_type="application/json", **headers
    )
    assert 400 <= response.status_code < 500
    assert not DeliveryEvent.objects.exists()


@pytest.mark.parametrize("body", [POSTMARK_DELIVERY, POSTMARK_BOUNCE], ids=["no-id", "with-id"])
def test_the_same_postmark_event_twice_is_stored_once(client, body):
    assert post_postmark(client, body).status_code == 200
    assert post_postmark(client, body).status_code == 200
    assert DeliveryEvent.objects.count() == 1


def test_a_delivery_after_a_postmark_bounce_leaves_it_bounced(client):
    post_postmark(client, POSTMARK_BOUNCE)
    post_postmark(client, {**POSTMARK_DELIVERY, "DeliveredAt": "2026-11-30T18:00:00Z"})
    state = delivery_states([POSTMARK_MESSAGE])[POSTMARK_MESSAGE]
    assert state.kind == "bounced" and state.label == "Bounced"
    assert "unable to deliver" in state.description


def test_an_event_for_a_message_never_sent_here_is_kept(client):
    body = {**POSTMARK_BOUNCE, "MessageID": "not-one-of-ours", "ID": 42}
    assert post_postmark(client, body).status_code == 200
    assert DeliveryEvent.objects.get().message_id == "not-one-of-ours"


def test_an_event_type_we_do_not_know_is_kept_as_other(client):
    body = {**POSTMARK_DELIVERY, "RecordType": "SomethingNew"}
    assert post_postmark(client, body).status_code == 200
    event = DeliveryEvent.objects.get()
    assert event.kind == "other"
    assert event.occurred_at is not None


def test_a_huge_event_is_stored_cut_to_size(client):
    body = {**POSTMARK_BOUNCE, "Content": "x" * (PAYLOAD_MAX_CHARS * 3)}
    assert post_postmark(client, body).status_code == 200
    payload = DeliveryEvent.objects.get().payload
    assert payload["truncated"] is True
    assert len(json.dumps(payload)) < PAYLOAD_MAX_CHARS + 200


def test_a_mailgun_legacy_form_event_is_stored_with_its_fields(client):
    # Mailgun's older webhooks post form fields, the signature among them.
    token, timestamp = "t-legacy", "1764500000"
    signature = hmac.new(
        SIGNING_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256
    ).hexdigest()
    response = client.post(
        MAILGUN_URL,
        {
            "event": "bounced",
            "recipient": "reader@example.com",
            "Message-Id": MAILGUN_MESSAGE,
            "code": "550",
            "error": "5.1.1 mailbox unknown",
            "timestamp": timestamp,
            "token": token,
            "signature": signature,
        },
        **auth(),
    )
    assert response.status_code == 200
    event = DeliveryEvent.objects.get()
    assert (event.kind, event.event_id, event.message_id) == (
        "bounced",
        token,
        f"<{MAILGUN_MESSAGE}>",
    )
    assert event.mta_response == "5.1.1 mailbox unknown"
    assert event.payload["code"] == "550"
