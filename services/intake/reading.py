"""What a caller may read: a partner sees its own applications only; reviewers and admins see all."""

import base64
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import orjson
from sqlalchemy import Select, select, tuple_
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.intake.tables import applications, timeline
from shared.auth import Caller


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class Filters:
    clause: str | None = None
    status: str | None = None
    submitted_from: datetime | None = None
    submitted_to: datetime | None = None
    credit_code: str | None = None


def _visible(query: Select, caller: Caller) -> Select:
    return (
        query if caller.role in ("reviewer", "admin") else query.where(applications.c.partner_id == caller.partner_id)
    )


async def one(sessions: async_sessionmaker, caller: Caller, application_id: UUID):
    """The application and its timeline, or None when it does not exist for this caller."""
    async with sessions() as session:
        row = (
            await session.execute(_visible(select(applications), caller).where(applications.c.id == application_id))
        ).first()
        if row is None:
            return None
        steps = (
            await session.execute(
                select(timeline.c.status, timeline.c.at, timeline.c.detail)
                .where(timeline.c.application_id == application_id)
                .order_by(timeline.c.at)
            )
        ).all()
    return row, steps


async def page(
    sessions: async_sessionmaker, caller: Caller, filters: Filters, limit: int, cursor: str | None
) -> tuple[list, str | None]:
    """Newest first; the cursor is the (submitted_at, id) of the last row of the previous page."""
    a = applications.c
    query = _visible(select(a.id, a.clause, a.credit_code, a.status, a.submitted_at, a.updated_at), caller)
    if filters.clause:
        query = query.where(a.clause == filters.clause)
    if filters.status:
        query = query.where(a.status == filters.status)
    if filters.credit_code:
        query = query.where(a.credit_code == filters.credit_code)
    if filters.submitted_from:
        query = query.where(a.submitted_at >= filters.submitted_from)
    if filters.submitted_to:
        query = query.where(a.submitted_at < filters.submitted_to)
    if cursor:
        query = query.where(tuple_(a.submitted_at, a.id) < tuple_(*_decode(cursor)))
    async with sessions() as session:
        rows = (await session.execute(query.order_by(a.submitted_at.desc(), a.id.desc()).limit(limit + 1))).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (_encode(rows[-1].submitted_at, rows[-1].id) if more else None)


def _encode(at: datetime, last_id: UUID) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([at.isoformat(), str(last_id)])).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, UUID]:
    try:
        at, last_id = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(at), UUID(last_id)
    except (ValueError, TypeError) as e:
        raise BadCursor(str(e)) from None
