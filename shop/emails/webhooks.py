"""The provider's delivery events, as anymail's signed webhooks hand them over
(``anymail.signals.tracking``): each is stored once as a ``DeliveryEvent``.

anymail has already checked the webhook's basic auth (ANYMAIL["WEBHOOK_SECRET"]) and the
provider's own signature where it has one, before the signal is sent. Providers send an
event again until they get a 2xx, and may send it twice anyway: a replay finds the stored
row and adds nothing. Events for messages this site never sent are kept too: they cost one
row and may explain a customer's question later."""

import hashlib
import json
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from shop.emails.models import DeliveryEvent

logger = logging.getLogger(__name__)

Kind = DeliveryEvent.Kind
# anymail's EventType values that we keep under the same name; the others are "other".
KINDS = {kind.value for kind in Kind} - {Kind.OTHER.value}
# The provider's raw event is kept for reading later, not for processing: a bounce may
# carry the whole returned message, which is not worth storing whole.
PAYLOAD_MAX_CHARS = 20_000


def _jsonable(esp_event) -> dict:
    """The provider's event as a JSON-able dict: a dict as is, form data (Mailgun's legacy
    webhook, a QueryDict) field by field, anything else as its text."""
    if hasattr(esp_event, "lists"):
        return {
            name: values[0] if len(values) == 1 else values for name, values in esp_event.lists()
        }
    if isinstance(esp_event, dict):
        return json.loads(json.dumps(esp_event, default=str))
    return {"event": str(esp_event)}


def _payload(raw: dict) -> dict:
    text = json.dumps(raw, sort_keys=True)
    if len(text) <= PAYLOAD_MAX_CHARS:
        return raw
    return {"truncated": True, "text": text[:PAYLOAD_MAX_CHARS]}


def _event_id(provider: str, given, raw: dict) -> str:
    if given:
        return str(given)[:255]
    # No id from the provider (e.g. Postmark's deliveries): the same event sent again has
    # the same content, so its digest finds the stored one.
    digest = hashlib.sha256(f"{provider}\n{json.dumps(raw, sort_keys=True)}".encode())
    return f"sha256:{digest.hexdigest()}"


def _kind(event_type) -> str:
    return event_type if event_type in KINDS else Kind.OTHER.value


def delivery_event_record(*, provider: str, event) -> tuple[DeliveryEvent, bool]:
    """Store one of anymail's tracking events (an ``AnymailTrackingEvent``) unless it is
    stored already; the row and whether this call wrote it."""
    raw = _jsonable(event.esp_event)
    event_id = _event_id(provider, event.event_id, raw)
    fields = {
        "provider": provider[:50],
        "kind": _kind(event.event_type),
        "message_id": (event.message_id or "")[:255],
        "recipient": (event.recipient or "")[:320],
        "occurred_at": event.timestamp or timezone.now(),
        "description": (event.description or "")[:1000],
        "mta_response": (event.mta_response or "")[:1000],
        "payload": _payload(raw),
    }
    try:
        # Its own savepoint: two deliveries of one event at once, the second finds the first.
        with transaction.atomic():
            return DeliveryEvent.objects.get_or_create(event_id=event_id, defaults=fields)
    except IntegrityError:
        return DeliveryEvent.objects.get(event_id=event_id), False


def delivery_event_received(sender, event, esp_name, **kwargs) -> None:
    """The receiver of ``anymail.signals.tracking`` (connected in EmailsConfig.ready)."""
    stored, created = delivery_event_record(provider=esp_name, event=event)
    if created and stored.kind in (Kind.BOUNCED, Kind.COMPLAINED, Kind.REJECTED):
        logger.warning(
            "Email %s to %s: %s (%s)",
            stored.message_id,
            stored.recipient,
            stored.get_kind_display(),
            stored.description or stored.mta_response,
        )
