"""Eligibility's stored decisions read as a replay takes them (`shared.policy.whatif`).

Every decision is read, in the order taken: those whose application date falls in the window are
replayed (or skipped, where the application was not kept or no longer parses); the others only
contribute the grants they made, at their place, since those stand. Nothing is written: the
transaction is read-only.
"""

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import Date, and_, case, cast, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility.tables import decisions, grants
from shared.policy import InvalidApplication, PolicyBook, PriorGrant
from shared.policy.whatif import Recorded, StoredApplication
from shared.workdays import BEIJING

Entry = StoredApplication | Recorded


async def stored(session: AsyncSession, book: PolicyBook, first: dt.date, last: dt.date) -> list[Entry]:
    """The decisions in the order taken, those on applications dated first … last to replay."""
    await session.execute(text("SET TRANSACTION READ ONLY"))
    occurred_on = cast(decisions.c.body["occurred_on"].astext, Date)
    in_window = and_(occurred_on >= first, occurred_on <= last)
    by_application: dict[str, list[PriorGrant]] = defaultdict(list)
    credit_codes: dict[str, str] = {}
    for g in await session.execute(select(grants).order_by(grants.c.granted_at)):
        application_id = str(g.application_id)
        by_application[application_id].append(
            PriorGrant(g.clause, g.subject_key, g.amount, g.project_id, application_id, g.granted_at.date())
        )
        credit_codes[application_id] = g.credit_code
    rows = await session.execute(
        select(
            decisions.c.application_id,
            decisions.c.credit_code,
            decisions.c.clause,
            decisions.c.outcome,
            decisions.c.amount,
            decisions.c.decided_at,
            in_window.label("in_window"),
            # Only what is replayed is read whole.
            case((in_window, decisions.c.application), else_=None).label("application"),
        ).order_by(decisions.c.seq)
    )
    entries: list[Entry] = []
    seen: set[str] = set()
    for r in rows:
        application_id = str(r.application_id)
        seen.add(application_id)
        made = tuple(by_application.get(application_id, ()))
        if r.in_window:
            entries.append(_stored(book, r, made))
        elif made:
            entries.append(Recorded(r.credit_code, made))
    # Grants of no decision here (awarded by another service on an application eligibility never
    # decided) stand from the start.
    orphans = [Recorded(credit_codes[a], tuple(g)) for a, g in by_application.items() if a not in seen]
    return [*orphans, *entries]


def _stored(book: PolicyBook, r: Any, made: tuple[PriorGrant, ...]) -> StoredApplication:
    year = r.decided_at.astimezone(BEIJING).year  # the budget year payout charges its award to
    baseline = (r.credit_code, r.clause, year, r.outcome, r.amount, made)
    if r.application is None:
        return StoredApplication(*baseline)
    wire = {k: v for k, v in r.application.items() if k != "submitted_at"}
    try:
        application = book.parse(wire)
    except InvalidApplication:  # kept under facts the draft's book no longer declares: skipped
        return StoredApplication(*baseline)
    return StoredApplication(
        *baseline,
        application.applicant.name,
        application.applicant.kind,
        application.occurred_on,
        application.facts.__dict__,
    )
