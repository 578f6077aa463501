"""Accepting an application: stored and its event owed in one transaction, once per idempotency key."""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from services.intake.tables import applications
from shared.events import ApplicationSubmittedV1
from shared.policy import Application
from shared.service import Runtime

# The partner's idempotency key is the origin of the application id: one key, one application.
_APPLICATION_IDS = uuid.UUID("6f1c2b7e-3d4a-5b8c-9e0f-a1b2c3d4e5f6")


class IdempotencyConflict(Exception):
    """The idempotency key was already used for a different body."""


@dataclass(frozen=True)
class Accepted:
    application_id: uuid.UUID
    replayed: bool


def application_id(partner_id: str, idempotency_key: str) -> uuid.UUID:
    return uuid.uuid5(_APPLICATION_IDS, f"{partner_id}\n{idempotency_key}")


async def submit(runtime: Runtime, partner_id: str, idempotency_key: str,
                 document: dict[str, Any], application: Application) -> Accepted:
    app_id = application_id(partner_id, idempotency_key)
    # Same JSON with keys in another order or other spacing is the same request.
    request_hash = hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()
    now = datetime.now(UTC)
    async with runtime.sessions.begin() as session:
        inserted = (await session.execute(insert(applications).values(
            id=app_id, partner_id=partner_id, idempotency_key=idempotency_key,
            request_hash=request_hash, credit_code=application.applicant.credit_code,
            clause=application.clause, occurred_on=application.occurred_on, body=document,
            status="submitted", stage=0, submitted_at=now,
        ).on_conflict_do_nothing().returning(applications.c.id))).first()
        if not inserted:
            earlier = (await session.execute(
                select(applications.c.request_hash).where(applications.c.id == app_id))).scalar_one()
            if earlier != request_hash:
                raise IdempotencyConflict(idempotency_key)
            return Accepted(app_id, replayed=True)
        await runtime.publish(session, runtime.event(
            ApplicationSubmittedV1(application_id=app_id, partner_id=partner_id, submitted_at=now,
                                   application=document),
            key=application.applicant.credit_code, subject=str(app_id)))
    runtime.relay.wake()
    return Accepted(app_id, replayed=False)
