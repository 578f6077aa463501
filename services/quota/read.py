"""What the API shows: rounds, candidates, reviews, ranking, objections, the public notice."""

import uuid

from sqlalchemy import and_, func, select

from services.quota.rounds import lock, not_found, review_scores, round_id
from services.quota.tables import (
    candidates,
    conflicts,
    details,
    notices,
    objections,
    panel,
    reviews,
    rounds,
    slots,
    transitions,
)


def _money(v) -> str:
    return f"{v:.2f}"


async def round_view(session, row) -> dict:
    members = (
        (
            await session.execute(
                select(panel.c.reviewer_id).where(panel.c.round_id == row.id).order_by(panel.c.reviewer_id)
            )
        )
        .scalars()
        .all()
    )
    count = (
        await session.execute(
            select(func.count())
            .select_from(candidates)
            .where(candidates.c.round_id == row.id, candidates.c.standing != "refused")
        )
    ).scalar_one()
    published = (
        await session.execute(select(notices).where(notices.c.round_id == row.id).order_by(notices.c.published_at))
    ).all()
    history = (
        await session.execute(select(transitions).where(transitions.c.round_id == row.id).order_by(transitions.c.id))
    ).all()
    return {
        **row._mapping,
        "panel": list(members),
        "candidates": count,
        "notices": [n._mapping for n in published],
        "history": [h._mapping for h in history],
    }


async def one_round(session, clause: str, year: int) -> dict:
    row = (await session.execute(select(rounds).where(rounds.c.id == round_id(clause, year)))).first()
    if row is None:
        raise not_found(clause, year)
    return await round_view(session, row)


async def all_rounds(session) -> list[dict]:
    rows = (await session.execute(select(rounds).order_by(rounds.c.year.desc(), rounds.c.clause))).all()
    return [await round_view(session, r) for r in rows]


async def candidate_list(session, clause: str, year: int, *, admin: bool, reviewer: str | None) -> list[dict]:
    row = await lock(session, clause, year, shared=True)
    rows = (
        await session.execute(
            select(candidates, details.c.applicant_name, details.c.project)
            .outerjoin(details, details.c.application_id == candidates.c.application_id)
            .where(candidates.c.round_id == row.id, candidates.c.standing != "refused")
            .order_by(candidates.c.rank.nulls_last(), candidates.c.submitted_at, candidates.c.application_id)
        )
    ).all()
    counted = await review_scores(session, row) if admin else {}
    recusals: dict[uuid.UUID, list[str]] = {}
    for c in (
        await session.execute(
            select(conflicts.c.application_id, conflicts.c.reviewer_id)
            .join(candidates, candidates.c.application_id == conflicts.c.application_id)
            .where(candidates.c.round_id == row.id)
        )
    ).all():
        recusals.setdefault(c.application_id, []).append(c.reviewer_id)
    mine = {}
    if reviewer:
        mine = {
            r.application_id: r.status
            for r in (
                await session.execute(
                    select(reviews.c.application_id, reviews.c.status).where(reviews.c.reviewer_id == reviewer)
                )
            ).all()
        }
    out = []
    for c in rows:
        item = {
            "application_id": c.application_id,
            "credit_code": c.credit_code,
            "applicant_name": c.applicant_name,
            "project": c.project,
            "amount": _money(c.amount),
            "indicators": c.indicators,
            "submitted_at": c.submitted_at,
            "standing": c.standing,
            "rank": c.rank,
            "score": c.review_score and _money(c.review_score),
        }
        if admin:
            item |= {
                "result": c.result_reason,
                "reviews_submitted": len(counted.get(c.application_id, [])),
                "recused": sorted(recusals.get(c.application_id, [])),
            }
        if reviewer:
            item["my_review"] = (
                "recused" if reviewer in recusals.get(c.application_id, []) else mine.get(c.application_id, "none")
            )
        out.append(item)
    return out


async def candidate_reviews(
    session, clause: str, year: int, application_id: uuid.UUID, reviewer: str | None = None
) -> list[dict]:
    """Every review of the candidate (admins), or only the caller's own (reviewers)."""
    row = await lock(session, clause, year, shared=True)
    query = (
        select(reviews, conflicts.c.reason.label("recusal"))
        .join(candidates, candidates.c.application_id == reviews.c.application_id)
        .outerjoin(
            conflicts,
            and_(
                conflicts.c.application_id == reviews.c.application_id, conflicts.c.reviewer_id == reviews.c.reviewer_id
            ),
        )
        .where(candidates.c.round_id == row.id, reviews.c.application_id == application_id)
        .order_by(reviews.c.reviewer_id)
    )
    if reviewer is not None:
        query = query.where(reviews.c.reviewer_id == reviewer)
    return [
        {**r._mapping, "score": r.score and _money(r.score), "recused": r.recusal is not None}
        for r in (await session.execute(query)).all()
    ]


async def ranking(session, clause: str, year: int) -> list[dict]:
    row = await lock(session, clause, year, shared=True)
    rows = (
        await session.execute(
            select(candidates, details.c.applicant_name, details.c.project, slots.c.slot)
            .outerjoin(details, details.c.application_id == candidates.c.application_id)
            .outerjoin(slots, slots.c.application_id == candidates.c.application_id)
            .where(candidates.c.round_id == row.id, candidates.c.rank.is_not(None))
            .order_by(candidates.c.rank)
        )
    ).all()
    return [
        {
            "rank": r.rank,
            "application_id": r.application_id,
            "applicant_name": r.applicant_name,
            "project": r.project,
            "score": _money(r.review_score),
            "standing": r.standing,
            "slot": r.slot,
            "explanation_en": (r.result_reason + "; " if r.result_reason else "") + r.explanation["en"],
            "explanation_zh": r.explanation["zh"],
        }
        for r in rows
    ]


async def objection_list(session, clause: str, year: int) -> list[dict]:
    row = await lock(session, clause, year, shared=True)
    return [
        r._mapping
        for r in (
            await session.execute(
                select(objections)
                .where(objections.c.round_id == row.id)
                .order_by(objections.c.filed_at, objections.c.id)
            )
        ).all()
    ]


async def public_rounds(session, titles: dict[str, tuple[str, str]]) -> list[dict]:
    """Rounds in public notice with their proposed selections, and concluded rounds with results."""
    shown = (
        await session.execute(
            select(rounds)
            .where(rounds.c.state.in_(("in_notice", "concluded")))
            .order_by(rounds.c.state.desc(), rounds.c.year.desc(), rounds.c.clause)
        )
    ).all()
    out = []
    for r in shown:
        people = (
            await session.execute(
                select(candidates, details.c.applicant_name, details.c.project, notices.c.ends_on)
                .outerjoin(details, details.c.application_id == candidates.c.application_id)
                .outerjoin(notices, notices.c.id == candidates.c.notice_id)
                .where(candidates.c.round_id == r.id, candidates.c.standing.in_(("proposed", "held", "selected")))
                .order_by(candidates.c.rank)
            )
        ).all()
        title_zh, title_en = titles.get(r.clause, (r.clause, r.clause))
        proposed = [
            {
                "application_id": p.application_id,
                "rank": p.rank,
                "applicant_name": p.applicant_name or p.credit_code,
                "project": p.project,
                "score": _money(p.review_score),
                "notice_ends_on": p.ends_on,
                "under_objection": p.standing == "held",
            }
            for p in people
            if p.standing != "selected"
        ]
        selected = [
            {"rank": p.rank, "applicant_name": p.applicant_name or p.credit_code, "project": p.project}
            for p in people
            if p.standing == "selected"
        ]
        out.append(
            {
                "clause": r.clause,
                "year": r.year,
                "title_zh": title_zh,
                "title_en": title_en,
                "quota": r.quota,
                "state": r.state,
                "proposed": proposed,
                "selected": selected,
            }
        )
    return out
