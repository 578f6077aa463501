"""Earlier applicants told of the clauses of a policy version they could claim and have not (免申即享).

For a version of the book, every applicant eligibility kept an application of is taken in turn, a
chunk of applicants at a time in credit-code order: its applications merged into what is known of it,
its grants read, and each clause of the version it never applied nor was granted under matched on
those facts (`shared/policy/unclaimed.py`; only `eligible` matches are told). Each match is recorded in
`match_notices`, once per applicant, clause and version, and only a newly recorded one owes
`MatchFoundV1` (through the outbox): it names the partner that submitted the applicant's latest
application and the contact that application gave. An applicant none of whose applications kept its
partner (decided before partners were kept) cannot be told, and is counted as unreachable.

Nothing is awarded: the policy requires an application, and the message says how to make it.

Two triggers: the version's publication (`handlers`: a consumer group of its own on the versions'
topic, so that a long search holds up neither the approval's transaction nor any decision; an
announcement of the version again is no new search), and an operator's `subsidy policy matches`.
"""

import datetime as dt
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility.domain.versions import State
from services.eligibility.tables import decisions, grants, match_notices, match_scans, policy_versions
from services.eligibility.versions import Lifecycle
from shared.events import MatchContact, MatchFoundV1, PolicyVersionPublishedV1
from shared.messaging.consumer import Handlers
from shared.messaging.envelope import Envelope
from shared.policy import PolicyVersion, PriorGrant
from shared.policy.matching import Match
from shared.policy.unclaimed import CLAIM_ROUTE, Kept, as_of, known, unclaimed
from shared.refusal import Refused
from shared.workdays import BEIJING

log = logging.getLogger(__name__)
CHUNK = 500  # applicants read, matched and recorded at a time
Trigger = Literal["published", "command"]


@dataclass(frozen=True)
class Found:
    credit_code: str
    applicant_name: str
    clause: str
    amount: Decimal
    partner_id: str
    newly_told: bool  # False: told before (or, on a dry run, would not be told again)


@dataclass
class Scan:
    version_id: str
    as_of: dt.date
    dry_run: bool
    found: list[Found] = field(default_factory=list)
    unreachable: int = 0  # applicants with a match but no partner kept to tell it through

    @property
    def told(self) -> int:
        return sum(f.newly_told for f in self.found)

    def to_json(self) -> dict[str, Any]:
        return {
            "version_id": self.version_id,
            "as_of": self.as_of.isoformat(),
            "dry_run": self.dry_run,
            "found": len(self.found),
            "newly_told": self.told,
            "unreachable": self.unreachable,
            "matches": [
                {
                    "credit_code": f.credit_code,
                    "applicant_name": f.applicant_name,
                    "clause": f.clause,
                    "amount": f"{f.amount:.2f}",
                    "partner_id": f.partner_id,
                    "newly_told": f.newly_told,
                }
                for f in self.found
            ],
        }


def notice_id(credit_code: str, clause: str, version_id: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"subsidy-match:{credit_code}:{clause}:{version_id}")


async def find(
    session: AsyncSession,
    lifecycle: Lifecycle,
    version_id: str,
    *,
    trigger: Trigger,
    dry_run: bool = False,
    cause: Envelope | None = None,
) -> Scan:
    """Searches the applicants for matches under `version_id` (a version of the book: bundled, or
    approved here; `version_not_found`, 404, otherwise), records and tells the new ones (on a dry
    run, neither), and records the search."""
    book = await lifecycle.published.book_in(session)
    version = next((v for v in book.versions if v.id == version_id), None)
    if version is None:
        raise Refused(
            "version_not_found",
            f"no policy version {version_id} in the book (bundled, or approved): "
            f"it holds {', '.join(v.id for v in book.versions)}",
            f"政策库中没有版本 {version_id}（随系统发布或已批准的版本）",
            status=404,
        )
    now = lifecycle.clock.now()
    scan = Scan(version.id, as_of(version, now.astimezone(BEIJING).date()), dry_run)
    after = ""
    while codes := await _applicants(session, after):
        await _chunk(session, lifecycle, version, scan, codes, now, cause)
        after = codes[-1]
    if not dry_run:
        await _record_scan(session, scan, trigger, now)
    log.info(
        "matches under %s as of %s: %d found, %d newly told, %d applicant(s) unreachable%s",
        version.id,
        scan.as_of,
        len(scan.found),
        scan.told,
        scan.unreachable,
        " (dry run)" if dry_run else "",
    )
    return scan


async def _applicants(session: AsyncSession, after: str) -> list[str]:
    """The next chunk of applicants with a kept application, in credit-code order."""
    rows = await session.execute(
        select(decisions.c.credit_code)
        .where(decisions.c.credit_code > after, decisions.c.application.is_not(None))
        .group_by(decisions.c.credit_code)
        .order_by(decisions.c.credit_code)
        .limit(CHUNK)
    )
    return list(rows.scalars())


@dataclass(frozen=True)
class _Reach:
    """How an applicant is told: the partner of its latest application that kept one, and the
    contact that application gave."""

    partner_id: str
    application_id: uuid.UUID
    contact: dict[str, Any] | None


async def _chunk(
    session: AsyncSession,
    lifecycle: Lifecycle,
    version: PolicyVersion,
    scan: Scan,
    codes: list[str],
    now: dt.datetime,
    cause: Envelope | None,
) -> None:
    kept: dict[str, list[Kept]] = defaultdict(list)
    reach: dict[str, _Reach] = {}
    for r in await session.execute(
        select(
            decisions.c.credit_code,
            decisions.c.application_id,
            decisions.c.application,
            decisions.c.partner_id,
            decisions.c.contact,
        )
        .where(decisions.c.credit_code.in_(codes), decisions.c.application.is_not(None))
        .order_by(decisions.c.seq)
    ):
        a = r.application
        kept[r.credit_code].append(Kept(a["clause"], a["applicant"], a["facts"]))
        if r.partner_id is not None:  # the latest wins
            reach[r.credit_code] = _Reach(r.partner_id, r.application_id, r.contact)
    granted: dict[str, list[PriorGrant]] = defaultdict(list)
    for g in await session.execute(select(grants).where(grants.c.credit_code.in_(codes))):
        granted[g.credit_code].append(
            PriorGrant(g.clause, g.subject_key, g.amount, g.project_id, str(g.application_id), g.granted_at.date())
        )
    matched = []
    for code in codes:
        applicant = known(kept[code])
        if not (found := unclaimed(version, applicant, scan.as_of, granted[code])):
            continue
        if code not in reach:
            scan.unreachable += 1
            continue
        matched += [(applicant, m, reach[code]) for m in found]
    if not matched:
        return
    if scan.dry_run:
        told_before = {
            (r.credit_code, r.clause)
            for r in await session.execute(
                select(match_notices.c.credit_code, match_notices.c.clause).where(
                    match_notices.c.version_id == version.id, match_notices.c.credit_code.in_(codes)
                )
            )
        }
        newly = {(a.credit_code, m.clause) for a, m, _ in matched} - told_before
    else:
        recorded = await session.execute(
            insert(match_notices)
            .values(
                [
                    {
                        "credit_code": a.credit_code,
                        "clause": m.clause,
                        "version_id": version.id,
                        "amount": m.amount,
                        "partner_id": to.partner_id,
                        "found_at": now,
                    }
                    for a, m, to in matched
                ]
            )
            .on_conflict_do_nothing()
            .returning(match_notices.c.credit_code, match_notices.c.clause)
        )
        newly = {(r.credit_code, r.clause) for r in recorded}
        events = [
            lifecycle.publisher.event(
                _told(version, a.credit_code, a.name, m, to, now), key=a.credit_code, subject=a.credit_code, cause=cause
            )
            for a, m, to in matched
            if (a.credit_code, m.clause) in newly
        ]
        await lifecycle.publisher.publish(session, *events)
    scan.found += [
        Found(a.credit_code, a.name, m.clause, _amount(m.amount), to.partner_id, (a.credit_code, m.clause) in newly)
        for a, m, to in matched
    ]


def _amount(amount: Decimal | None) -> Decimal:
    if amount is None:  # an eligible match always has its amount
        raise ValueError("an eligible match without an amount")
    return amount


def _told(version: PolicyVersion, credit_code: str, name: str, m: Match, to: _Reach, now: dt.datetime) -> MatchFoundV1:
    return MatchFoundV1(
        notice_id=notice_id(credit_code, m.clause, version.id),
        credit_code=credit_code,
        applicant_name=name,
        clause=m.clause,
        article=version.rules[m.clause].article,
        title_zh=m.title_zh,
        title_en=m.title_en,
        policy_version=version.id,
        first_day=version.first_day,
        last_day=version.last_day,
        amount=_amount(m.amount),
        selection=m.selection,
        partner_id=to.partner_id,
        latest_application_id=to.application_id,
        contact=MatchContact(**to.contact) if to.contact else None,
        claim_route=CLAIM_ROUTE,
        found_at=now,
    )


async def _record_scan(session: AsyncSession, scan: Scan, trigger: Trigger, now: dt.datetime) -> None:
    values = {"scanned_at": now, "found": len(scan.found), "told": scan.told}
    if trigger == "published":  # claimed by `handlers` before the search
        await session.execute(
            update(match_scans)
            .where(match_scans.c.version_id == scan.version_id, match_scans.c.trigger == "published")
            .values(values)
        )
    else:
        await session.execute(insert(match_scans).values(version_id=scan.version_id, trigger=trigger, **values))


def handlers(lifecycle: Lifecycle) -> Handlers:
    """Searches on a version's publication, once per version: eligibility announces its approved
    versions again as it starts, and those were searched when first published."""

    async def version_published(session: AsyncSession, event: Envelope, p: PolicyVersionPublishedV1) -> None:
        state = (
            await session.execute(
                select(policy_versions.c.state).where(
                    policy_versions.c.version_id == p.version_id, policy_versions.c.content_hash == p.content_hash
                )
            )
        ).scalar_one_or_none()
        if state != State.APPROVED:  # withdrawn since, or not a version approved here
            return
        first = await session.execute(
            insert(match_scans)
            .values(version_id=p.version_id, trigger="published", scanned_at=lifecycle.clock.now())
            .on_conflict_do_nothing(index_elements=["version_id"], index_where=text("trigger = 'published'"))
            .returning(match_scans.c.id)
        )
        if first.scalar_one_or_none() is None:
            return  # announced again: searched when it was first published
        await find(session, lifecycle, p.version_id, trigger="published", cause=event)

    return {PolicyVersionPublishedV1: version_published}
