"""Sends owed e-mails to applicants over SMTP, outside any transaction, retrying on a schedule.

Each pass claims due e-mails (`FOR UPDATE SKIP LOCKED`, so replicas share the work): an e-mail
whose application is known without a contact is dropped; one whose application is not known yet
waits for it up to `CONTACT_GRACE_S` after the status change; one about no application (a match,
`matches.py`) was addressed and rendered when owed, and is sent as it is. The others are rendered
on their first attempt — the application's partner's templates merged over ours, in the contact's
language — and the rendered message is stored, so that every retry sends the same message under
the same `Message-ID`. Claims carry a lease; each result is recorded in its own transaction.
Messages go over SMTP connections kept open between them (`smtp.py`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import aiosmtplib
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notify import due, samples, wording
from services.notify.retries import Schedule
from services.notify.settings import NotifySettings
from services.notify.smtp import Connections
from services.notify.tables import application_partners as apps
from services.notify.tables import email_deliveries as e
from services.notify.tables import partner_templates, rounds
from shared.messaging.wakeups import Listener
from shared.policy import CurrentPolicy
from shared.policy.catalogue import clause_titles

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)
BATCH = 50


@dataclass(frozen=True)
class Outgoing:
    id: uuid.UUID
    attempt: int
    to: str
    subject: str
    text: str
    html: str


def message(settings: NotifySettings, o: Outgoing) -> EmailMessage:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = settings.smtp_from, o.to, o.subject
    m["Date"] = formatdate(localtime=False, usegmt=True)
    # The same on every retry, so that a mail system can recognise a repeat.
    m["Message-ID"] = f"<{o.id}@subsidy-notify>"
    m["X-Subsidy-Delivery"] = str(o.id)
    m.set_content(o.text)
    m.add_alternative(o.html, subtype="html")
    return m


def application_facts(row, notice_url: str, titles: dict[str, tuple[str, str]]) -> dict[str, Any]:
    title = titles.get(row.clause, (None, None)) if row else (None, None)
    facts: dict[str, Any] = {"notice_url": notice_url}
    if row is not None:
        facts |= {
            "applicant_name": row.applicant_name,
            "credit_code": row.credit_code,
            "clause": row.clause,
            "clause_title_zh": title[0],
            "clause_title_en": title[1],
            "occurred_on": row.occurred_on.isoformat() if row.occurred_on else None,
        }
    return facts


async def _render(s: AsyncSession, d, app, notice_url: str, titles: dict) -> wording.Rendered:
    override = (
        await s.execute(
            select(partner_templates.c.subject, partner_templates.c.text, partner_templates.c.html).where(
                partner_templates.c.partner_id == app.partner_id,
                partner_templates.c.status == d.application_status,
                partner_templates.c.language == app.language,
            )
        )
    ).first()
    facts = application_facts(app, notice_url, titles) | {"application_id": str(d.application_id)}
    context = samples.context(d.application_status, d.context, facts)
    if d.application_status == "candidate" and app.occurred_on:
        context["year"] = context.get("year") or app.occurred_on.year
        r = (
            await s.execute(select(rounds).where(rounds.c.clause == app.clause, rounds.c.year == app.occurred_on.year))
        ).first()
        context["round"] = r and {
            "state": r.state,
            "deadline": r.deadline.isoformat(),
            "quota": r.quota,
            "notice_ends_on": r.notice_ends_on and r.notice_ends_on.isoformat(),
        }
    return wording.render(d.application_status, app.language or "zh", context, override and dict(override._mapping))


async def _render_or_ours(s: AsyncSession, d, app, notice_url: str, titles: dict) -> wording.Rendered:
    try:
        return await _render(s, d, app, notice_url, titles)
    except Exception as error:  # a partner's template that breaks on real data: ours instead
        log.warning("template of %s for %s failed (%r); sending ours", app.partner_id, d.application_status, error)
        facts = application_facts(app, notice_url, titles) | {"application_id": str(d.application_id)}
        return wording.render(
            d.application_status, app.language or "zh", samples.context(d.application_status, d.context, facts)
        )


async def claim(
    sessions: async_sessionmaker, settings: NotifySettings, titles: dict[str, tuple[str, str]], limit: int
) -> list[Outgoing]:
    async with sessions.begin() as s:
        due = (
            await s.execute(
                select(e)
                .where(e.c.status == "pending", e.c.next_attempt_at <= func.now())
                .order_by(e.c.next_attempt_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        if not due:
            return []
        # An e-mail about no application (a match told to an applicant) was addressed and rendered
        # as it was owed: it waits for nothing.
        addressed = [d for d in due if d.application_id is None]
        due = [d for d in due if d.application_id is not None]
        known = {
            a.application_id: a
            for a in (
                await s.execute(select(apps).where(apps.c.application_id.in_({d.application_id for d in due})))
            ).all()
        }
        now = (await s.execute(select(func.now()))).scalar_one()
        grace = timedelta(seconds=settings.contact_grace_s)
        dropped = [
            d.id
            for d in due
            if (d.application_id in known and not known[d.application_id].email)
            or (d.application_id not in known and d.created_at + grace <= now)
        ]
        if dropped:
            await s.execute(delete(e).where(e.c.id.in_(dropped)))  # owed to nobody
        if waiting := [d.id for d in due if d.application_id not in known and d.id not in dropped]:
            # Look again when the grace ends, in case the submission is read late.
            await s.execute(update(e).where(e.c.id.in_(waiting)).values(next_attempt_at=e.c.created_at + grace))
        sending = addressed + [d for d in due if d.application_id in known and d.id not in dropped]
        if not sending:
            return []
        await s.execute(
            update(e)
            .where(e.c.id.in_([d.id for d in sending]))
            .values(attempts=e.c.attempts + 1, next_attempt_at=now + LEASE)
        )
        out, rendered = [], []
        for d in sending:
            if d.subject is not None:  # rendered before (or addressed when owed): the very same again
                out.append(Outgoing(d.id, d.attempts + 1, d.to_address, d.subject, d.body_text, d.body_html))
                continue
            app = known[d.application_id]
            m = await _render_or_ours(s, d, app, settings.notice_url, titles)
            out.append(Outgoing(d.id, d.attempts + 1, app.email, m.subject, m.text, m.html))
            rendered.append(
                {
                    "rendered_id": d.id,
                    "to": app.email,
                    "in_language": app.language,
                    "rendered_subject": m.subject,
                    "rendered_text": m.text,
                    "rendered_html": m.html,
                }
            )
        if rendered:  # kept, so that every retry sends the same message
            await s.execute(
                update(e)
                .where(e.c.id == bindparam("rendered_id"))
                .values(
                    to_address=bindparam("to"),
                    language=bindparam("in_language"),
                    subject=bindparam("rendered_subject"),
                    body_text=bindparam("rendered_text"),
                    body_html=bindparam("rendered_html"),
                ),
                rendered,
            )
    return out


async def send(
    sessions: async_sessionmaker, settings: NotifySettings, schedule: Schedule, smtp: Connections, o: Outgoing
) -> None:
    try:
        await smtp.send(message(settings, o))
        outcome: dict[str, object] = {"status": "sent", "sent_at": func.now(), "last_error": None}
    except Exception as error:  # the server away, busy or refusing for now, or the address refused
        delay = schedule.delay(o.attempt)
        text = f"{type(error).__name__}: {error}"[:500]
        permanent = isinstance(error, aiosmtplib.SMTPRecipientsRefused) and all(
            r.code >= 500 for r in error.recipients
        )  # the address itself: retrying cannot help
        outcome = (
            {"status": "failed", "last_error": text}
            if delay is None or permanent
            else {"last_error": text, "next_attempt_at": func.now() + timedelta(seconds=delay)}
        )
    async with sessions.begin() as s:
        await s.execute(update(e).where(e.c.id == o.id, e.c.attempts == o.attempt).values(**outcome))


def mail_worker(
    sessions: async_sessionmaker, settings: NotifySettings, policy: CurrentPolicy, listener: Listener
) -> Callable[[], Awaitable[None]]:
    schedule = Schedule(tuple(settings.email_retry_schedule_s), jitter=0.2)
    announced = asyncio.Event()
    listener.subscribe(due.CHANNEL, announced.set)

    async def send_email() -> None:
        smtp = Connections(settings)  # at most SMTP_CONCURRENCY, kept open between messages
        try:
            while True:
                announced.clear()  # before claiming: what is announced from now on wakes the next pass
                try:
                    claimed = await claim(sessions, settings, clause_titles(policy.book), BATCH)
                    results = await asyncio.gather(
                        *(send(sessions, settings, schedule, smtp, o) for o in claimed), return_exceptions=True
                    )
                    for o, result in zip(claimed, results, strict=False):
                        if isinstance(result, Exception):  # its lease runs out, and it is sent again
                            log.error("recording e-mail %s failed: %r", o.id, result)
                    await smtp.close_idle()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("e-mail pass failed; retrying")
                    claimed = []
                if len(claimed) < BATCH:
                    await due.sleep(sessions, e, announced, settings.webhook_poll_interval_s)
        finally:
            await smtp.close()

    return send_email
