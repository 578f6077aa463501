"""Eligibility's stored decisions read as a replay takes them (`shared.policy.whatif`).

Every decision is read, in the order taken: those whose application date falls in the window are
replayed (or skipped, where the application was not kept or no longer fits its clause); the others only
contribute the grants they made, at their place, since those stand. Nothing is written: the
transaction is read-only.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, and_, case, cast, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility.tables import decisions, grants
from shared.policy import PolicyBook, PriorGrant
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
    declared = declared_facts(book)
    entries: list[Entry] = []
    seen: set[str] = set()
    for r in rows:
        application_id = str(r.application_id)
        seen.add(application_id)
        made = tuple(by_application.get(application_id, ()))
        if r.in_window:
            entries.append(_stored(r, made, declared))
        elif made:
            entries.append(Recorded(r.credit_code, made))
    # Grants of no decision here (awarded by another service on an application eligibility never
    # decided) stand from the start.
    orphans = [Recorded(credit_codes[a], tuple(g)) for a, g in by_application.items() if a not in seen]
    return [*orphans, *entries]


def _stored(r: Any, made: tuple[PriorGrant, ...], declared: Mapping[str, Mapping[str, str]]) -> StoredApplication:
    year = r.decided_at.astimezone(BEIJING).year  # the budget year payout charges its award to
    baseline = (r.credit_code, r.clause, year, r.outcome, r.amount, made)
    kept = r.application
    facts = None if kept is None else _facts(declared.get(r.clause), kept["facts"])
    if kept is None or facts is None:
        return StoredApplication(*baseline)
    applicant = kept["applicant"]
    return StoredApplication(
        *baseline, applicant["name"], applicant["kind"], dt.date.fromisoformat(kept["occurred_on"]), facts
    )


def _facts(types: Mapping[str, str] | None, kept: Mapping[str, Any]) -> dict[str, object] | None:
    """The facts as parsing gave them when the application was decided. They were validated then
    (identifiers already in the form they are compared in), so they are only decoded here, by the
    types the clause declares: parsing them all again would cost more than replaying them. None
    where they no longer fit the clause, which the replay then skips."""
    if types is None or kept.keys() != types.keys():
        return None
    facts = dict(kept)
    try:
        for name, kind in types.items():
            if kind in _DECIMAL and facts[name] is not None:
                facts[name] = Decimal(facts[name])
    except (ArithmeticError, TypeError):
        return None
    return facts


_DECIMAL = frozenset({"money", "score"})


def declared_facts(book: PolicyBook) -> dict[str, Mapping[str, str]]:
    """Each clause's facts and their types (the same in every version of a book)."""
    return {cid: rule.facts for version in book.versions for cid, rule in version.rules.items()}
