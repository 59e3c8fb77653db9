"""What became of a sent message, from the provider's delivery events (shop.emails.models.
DeliveryEvent): one state per message id, whatever order the events arrived in.

The message id is the one anymail reports when it sends (``anymail_status.message_id``): its
tracking events name the message by that same id, so they are matched as they are."""

from dataclasses import dataclass
from datetime import datetime

from shop.emails.models import DeliveryEvent

Kind = DeliveryEvent.Kind
# Which event says most about a message: a bounce or a spam report outranks a delivery
# reported before or after it (a message can be delivered and then reported as spam).
RANK: dict[str, int] = {
    Kind.COMPLAINED: 6,
    Kind.BOUNCED: 5,
    Kind.REJECTED: 5,
    Kind.FAILED: 5,
    Kind.DELIVERED: 4,
    Kind.DEFERRED: 2,
    Kind.SENT: 1,
    Kind.QUEUED: 1,
}
UNDELIVERED: set[str] = {Kind.BOUNCED, Kind.REJECTED, Kind.FAILED}
# What the author should look at: the customer did not get it, or does not want it.
FLAGGED = UNDELIVERED | {Kind.COMPLAINED}


@dataclass(frozen=True)
class DeliveryState:
    kind: str
    label: str
    at: datetime
    recipient: str
    description: str
    delivered_at: datetime | None

    @property
    def undelivered(self) -> bool:
        return self.kind in UNDELIVERED

    @property
    def flagged(self) -> bool:
        return self.kind in FLAGGED

    @property
    def delivered(self) -> bool:
        return self.kind == Kind.DELIVERED


def flagged_message_ids():
    """The ids of messages whose state is bounced, refused, failed or marked as spam, as a
    subquery. Those kinds outrank every other (RANK), so one such event settles it."""
    return (
        DeliveryEvent.objects.filter(kind__in=FLAGGED).exclude(message_id="").values("message_id")
    )


def delivery_states(message_ids) -> dict[str, DeliveryState]:
    """The state of each message id that has delivery events (one query)."""
    ids = [message_id for message_id in set(message_ids) if message_id]
    if not ids:
        return {}
    events: dict[str, list[DeliveryEvent]] = {}
    for event in DeliveryEvent.objects.filter(message_id__in=ids).order_by("occurred_at", "pk"):
        events.setdefault(event.message_id, []).append(event)
    states = {}
    for message_id, found in events.items():
        ranked = [event for event in found if event.kind in RANK]
        if not ranked:
            continue
        # The highest rank wins; among equals, the newest.
        best = max(ranked, key=lambda event: (RANK[event.kind], event.occurred_at, event.pk))
        delivered = [event.occurred_at for event in found if event.kind == Kind.DELIVERED]
        states[message_id] = DeliveryState(
            kind=best.kind,
            label=Kind(best.kind).label,
            at=best.occurred_at,
            recipient=best.recipient,
            description=best.description or best.mta_response,
            delivered_at=delivered[0] if delivered else None,
        )
    return states
