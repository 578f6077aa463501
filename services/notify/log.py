"""The webhook delivery log and replay, and partners' templates: the operations notify's API and
the operator's commands share. Each takes a session; the caller owns the transaction."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify import due, samples, wording
from services.notify.tables import partner_templates as t
from services.notify.tables import webhook_deliveries as d
from services.notify.tables import webhooks

DELIVERY_STATUSES = ("pending", "delivered", "failed")


class NotFound(LookupError):
    pass


class EndpointDisabled(RuntimeError):
    """The partner's endpoint answered 410 Gone, or there is none: replaying would go nowhere."""


class BadCursor(ValueError):
    pass


def _view(row) -> dict[str, Any]:
    return {
        "id": row.id,
        "partner_id": row.partner_id,
        "type": row.type,
        "application_id": row.application_id,
        "credit_code": row.credit_code,
        "application_status": row.application_status,
        "status": row.status,
        "attempts": row.attempts,
        "last_status_code": row.last_status_code,
        "last_error": row.last_error,
        "url": row.url,
        "next_attempt_at": row.next_attempt_at if row.status == "pending" else None,
        "created_at": row.created_at,
        "delivered_at": row.delivered_at,
        "replayed_at": row.replayed_at,
    }


def _cursor(row) -> str:
    return base64.urlsafe_b64encode(f"{row.created_at.isoformat()}|{row.id}".encode()).decode()


def _after(cursor: str):
    try:
        at_text, _, last_text = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        at, last = datetime.fromisoformat(at_text), uuid.UUID(last_text)
    except (ValueError, UnicodeError):
        raise BadCursor(cursor) from None
    return or_(d.c.created_at < at, and_(d.c.created_at == at, d.c.id < last))


async def deliveries(
    session: AsyncSession,
    *,
    partner_id: str | None = None,
    status: str | None = None,
    application_id: uuid.UUID | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first; a partner's own only when `partner_id` is given (an operator sees all)."""
    query = select(d).where(d.c.partner_id.is_not(None)).order_by(d.c.created_at.desc(), d.c.id.desc()).limit(limit + 1)
    if partner_id is not None:
        query = query.where(d.c.partner_id == partner_id)
    if status is not None:
        query = query.where(d.c.status == status)
    if application_id is not None:
        query = query.where(d.c.application_id == application_id)
    if cursor:
        query = query.where(_after(cursor))
    rows = (await session.execute(query)).all()
    return [_view(r) for r in rows[:limit]], (_cursor(rows[limit - 1]) if len(rows) > limit else None)


async def delivery(session: AsyncSession, delivery_id: uuid.UUID, partner_id: str | None = None) -> dict[str, Any]:
    query = select(d).where(d.c.id == delivery_id)
    if partner_id is not None:
        query = query.where(d.c.partner_id == partner_id)
    row = (await session.execute(query)).first()
    if row is None:
        raise NotFound(delivery_id)
    return _view(row)


async def retry(session: AsyncSession, delivery_id: uuid.UUID, partner_id: str | None = None) -> dict[str, Any]:
    """Sends the delivery again, now, as it was (same body, same `webhook-id`), on a fresh schedule."""
    found = await delivery(session, delivery_id, partner_id)
    hook = (await session.execute(select(webhooks).where(webhooks.c.partner_id == found["partner_id"]))).first()
    if hook is None or not hook.url:
        raise EndpointDisabled("no webhook is registered")
    if hook.disabled_at:
        raise EndpointDisabled(hook.disabled_reason or "the endpoint is disabled")
    row = (
        await session.execute(
            update(d)
            .where(d.c.id == delivery_id)
            .values(
                status="pending",
                attempts=0,
                next_attempt_at=func.now(),
                replayed_at=func.now(),
                delivered_at=None,
            )
            .returning(d)
        )
    ).one()
    await due.announce(session)
    return _view(row)


async def retry_all(session: AsyncSession, *, partner_id: str | None = None, since: datetime | None = None) -> int:
    """Every failed delivery (of one partner, since a time) to an endpoint that is not disabled, sent again."""
    enabled = select(webhooks.c.partner_id).where(webhooks.c.url != "", webhooks.c.disabled_at.is_(None))
    query = update(d).where(d.c.status == "failed", d.c.partner_id.in_(enabled))
    if partner_id is not None:
        query = query.where(d.c.partner_id == partner_id)
    if since is not None:
        query = query.where(d.c.created_at >= since)
    # An UPDATE's result is a CursorResult, which the session's execute() does not type as such.
    done = cast(
        CursorResult[Any],
        await session.execute(
            query.values(status="pending", attempts=0, next_attempt_at=func.now(), replayed_at=func.now())
        ),
    )
    if done.rowcount:
        await due.announce(session)
    return done.rowcount


# ---- templates ----


def _parts(row) -> dict[str, str | None]:
    return {"subject": row.subject, "text": row.text, "html": row.html} if row else {}


async def template(session: AsyncSession, partner_id: str, status: str, language: str) -> dict[str, Any]:
    """The partner's parts (null where ours apply), ours, and the message they make from the sample."""
    row = (
        await session.execute(
            select(t).where(t.c.partner_id == partner_id, t.c.status == status, t.c.language == language)
        )
    ).first()
    mine = _parts(row)
    preview = wording.render(status, language, samples.sample(status), mine)
    return {
        "status": status,
        "language": language,
        "custom": {p: mine.get(p) for p in wording.PARTS},
        "default": wording.default(status, language),
        "updated_at": row.updated_at if row else None,
        "preview": {"subject": preview.subject, "text": preview.text, "html": preview.html},
    }


async def put_template(
    session: AsyncSession, partner_id: str, status: str, language: str, parts: dict[str, str | None]
) -> dict[str, Any]:
    """Checks the parts against the status's sample (TemplateRefused names the part), then keeps them."""
    wording.check(status, language, parts, samples.sample(status))
    values = {p: parts.get(p) or None for p in wording.PARTS} | {"updated_at": func.now()}
    new = insert(t).values(partner_id=partner_id, status=status, language=language, **values)
    await session.execute(
        new.on_conflict_do_update(index_elements=[t.c.partner_id, t.c.status, t.c.language], set_=values)
    )
    return await template(session, partner_id, status, language)


async def delete_template(session: AsyncSession, partner_id: str, status: str, language: str) -> bool:
    done = cast(  # a DELETE's result is a CursorResult, which execute() does not type as such
        CursorResult[Any],
        await session.execute(
            delete(t).where(t.c.partner_id == partner_id, t.c.status == status, t.c.language == language)
        ),
    )
    return bool(done.rowcount)


async def templates(session: AsyncSession, partner_id: str) -> list[dict[str, Any]]:
    rows = (
        await session.execute(select(t).where(t.c.partner_id == partner_id).order_by(t.c.status, t.c.language))
    ).all()
    return [{"status": r.status, "language": r.language, "custom": _parts(r), "updated_at": r.updated_at} for r in rows]
