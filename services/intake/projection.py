"""Follows the other services' events into each application's status and timeline.

A batch of status events is written at once, in two statements whatever its size: every step goes
on its application's timeline, and each application takes the furthest status the batch (and its
past) has reached. Which status and detail an event means, and how far along that status is, is
the shared vocabulary's to say (`shared/statuses.py`): notify tells partners the very same.
"""

from uuid import UUID

from sqlalchemy import ARRAY, Integer, Text, bindparam, text
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.tables import applications, timeline
from shared import bulk
from shared.events import ApplicationWithdrawnV1
from shared.messaging.consumer import Batched, Handlers
from shared.messaging.envelope import Envelope
from shared.messaging.payloads import Payload
from shared.statuses import STATUS_EVENTS, status_change

_ADVANCE = text(f"""
    UPDATE {applications.fullname} AS a
       SET status = reached.status, stage = reached.stage, updated_at = now()
      FROM unnest(:ids, :statuses, :stages) AS reached(id, status, stage)
     WHERE a.id = reached.id AND a.stage <= reached.stage
""").bindparams(
    bindparam("ids", type_=ARRAY(PgUUID(as_uuid=True))),
    bindparam("statuses", type_=ARRAY(Text)),
    bindparam("stages", type_=ARRAY(Integer)),
)


async def statuses_changed(session: AsyncSession, batch: list[tuple[Envelope, Payload]]) -> None:
    rows: list[dict[str, object]] = []
    furthest: dict[UUID, tuple[str, int]] = {}  # application → its furthest status and stage
    for event, p in batch:
        c = status_change(p)
        # Every status event names the application it moves (read as an attribute: a runtime
        # Protocol check costs more than the rest of the event's handling).
        application_id = getattr(p, "application_id", None)
        if not isinstance(application_id, UUID):
            raise TypeError(f"{type(p).__name__} is about no application")
        rows.append(
            {
                "event_id": event.id,
                "application_id": application_id,
                "status": c.status,
                "at": event.time,
                "detail": c.detail,
            }
        )
        # Of equal stages the later event wins, as it would have one at a time.
        if c.stage >= furthest.get(application_id, ("", -1))[1]:
            furthest[application_id] = (c.status, c.stage)
    await bulk.insert_rows(session, timeline, rows)
    ids: list[UUID] = list(furthest)
    await session.execute(
        _ADVANCE, {"ids": ids, "statuses": [furthest[i][0] for i in ids], "stages": [furthest[i][1] for i in ids]}
    )


# Every status event but intake's own (a withdrawal takes its step as it is recorded): so intake's
# status group reads none of the application topic's submissions only to pass over them.
HANDLERS: Handlers = dict.fromkeys(
    (e for e in STATUS_EVENTS if e is not ApplicationWithdrawnV1), Batched(statuses_changed)
)
