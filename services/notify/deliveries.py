"""What a partner's webhook is owed: one delivery per status change of one of its applications.

A delivery is written in the transaction that handles the status event, so it exists if and only
if the event was handled; `worker.py` sends it later, outside any handler. Its body is built here
once and stored, so every retry (and every replay) sends, and signs, the very same bytes under
the same `webhook-id`.
"""

import uuid

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify import due
from services.notify.statuses import AboutAnApplication, Notice
from services.notify.tables import webhook_deliveries
from shared.bulk import insert_rows
from shared.messaging.envelope import Envelope

STATUS_CHANGED = "application.status_changed"


def delivery_id(event: Envelope) -> uuid.UUID:
    # Derived from the event, so a redelivered event can only find its delivery already there.
    return uuid.uuid5(uuid.NAMESPACE_URL, f"notify-webhook:{event.id}")


def body(delivery: uuid.UUID, event: Envelope, p: AboutAnApplication, notice: Notice) -> bytes:
    return orjson.dumps(
        {
            "id": str(delivery),
            "type": STATUS_CHANGED,
            "application_id": str(p.application_id),
            "status": notice.status,
            "event_type": event.type,
            "occurred_at": event.time.isoformat(),
            "detail": notice.detail,
        }
    )


async def enqueue(session: AsyncSession, changes: list[tuple[Envelope, AboutAnApplication, Notice]]) -> None:
    """Owes the applications' partners these status changes.

    Whether the partner has a webhook is decided by the worker, not here: the application's
    submission and its partner's registration travel on other topics than its status events, so
    either may not have been read yet. The worker attaches the partner once known, and drops the
    delivery only if that partner still has no webhook a grace period after the status change.
    """
    owed = []
    for event, p, c in changes:
        delivery = delivery_id(event)
        owed.append(
            {
                "id": delivery,
                "application_id": p.application_id,
                "body": body(delivery, event, p, c),
                "application_status": c.status,
            }
        )
    await insert_rows(session, webhook_deliveries, owed)
    await due.announce(session)
