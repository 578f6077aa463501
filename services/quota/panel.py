"""The review panel: reviewers assigned to a round, their conflicts of interest, their reviews."""

import uuid
from typing import Any

from sqlalchemy import insert, select, update

from services.quota.context import Context
from services.quota.domain.lifecycle import RuleBroken, State, require
from services.quota.domain.scoring import BadScores, check_scores, review_score
from services.quota.rounds import lock
from services.quota.tables import api_keys, candidates, conflicts, panel, reviews

BEFORE_RANKING = (State.OPEN, State.CLOSED, State.IN_REVIEW)


async def assign(session, ctx: Context, clause: str, year: int, reviewer_id: str, *, by: str):
    row = await lock(session, clause, year)
    require(State(row.state), *BEFORE_RANKING, doing_en="reviewers are assigned", doing_zh="指派评审专家")
    reviewer = (
        await session.execute(
            select(api_keys.c.key_id)
            .where(api_keys.c.partner_id == reviewer_id, api_keys.c.role == "reviewer", api_keys.c.revoked_at.is_(None))
            .limit(1)
        )
    ).first()
    if reviewer is None:
        raise RuleBroken(
            "not_a_reviewer",
            f"{reviewer_id} holds no active key with the reviewer role",
            f"{reviewer_id} 没有有效的评审专家（reviewer）密钥",
            status=422,
        )
    existing = (
        await session.execute(select(panel).where(panel.c.round_id == row.id, panel.c.reviewer_id == reviewer_id))
    ).first()
    if existing:
        return existing  # assigning the same reviewer again is the same assignment
    await session.execute(
        insert(panel).values(round_id=row.id, reviewer_id=reviewer_id, assigned_by=by, assigned_at=ctx.now())
    )
    return (
        await session.execute(select(panel).where(panel.c.round_id == row.id, panel.c.reviewer_id == reviewer_id))
    ).one()


async def _on_panel(session, row, reviewer_id: str) -> None:
    if not (
        await session.execute(
            select(panel.c.reviewer_id).where(panel.c.round_id == row.id, panel.c.reviewer_id == reviewer_id)
        )
    ).first():
        raise RuleBroken(
            "not_on_panel", "you are not on this round's review panel", "您不是本轮评审专家组成员", status=403
        )


async def _reviewable(session, row, application_id: uuid.UUID):
    cand = (
        await session.execute(
            select(candidates).where(
                candidates.c.application_id == application_id,
                candidates.c.round_id == row.id,
                candidates.c.standing == "candidate",
            )
        )
    ).first()
    if cand is None:
        raise RuleBroken(
            "not_found",
            f"no candidate {application_id} under review in this round",
            f"本轮无待评审的候选对象 {application_id}",
            status=404,
        )
    return cand


async def declare_conflict(
    session, ctx: Context, clause: str, year: int, application_id: uuid.UUID, reviewer_id: str, reason: str
):
    """The reviewer is recused from this candidate: they cannot score it, and a review they already
    submitted no longer counts."""
    row = await lock(session, clause, year, shared=True)
    require(State(row.state), *BEFORE_RANKING, doing_en="conflicts of interest are declared", doing_zh="申报利益冲突")
    await _on_panel(session, row, reviewer_id)
    await _reviewable(session, row, application_id)
    existing = (
        await session.execute(
            select(conflicts).where(
                conflicts.c.application_id == application_id, conflicts.c.reviewer_id == reviewer_id
            )
        )
    ).first()
    if existing:
        if existing.reason != reason:
            raise RuleBroken(
                "already_recused",
                f"you already declared a conflict with this candidate, for another reason: {existing.reason}",
                "您已就该候选对象申报过利益冲突（理由不同）",
            )
        return existing
    await session.execute(
        insert(conflicts).values(
            application_id=application_id, reviewer_id=reviewer_id, reason=reason, declared_at=ctx.now()
        )
    )
    return (
        await session.execute(
            select(conflicts).where(
                conflicts.c.application_id == application_id, conflicts.c.reviewer_id == reviewer_id
            )
        )
    ).one()


async def save_review(
    session,
    ctx: Context,
    clause: str,
    year: int,
    application_id: uuid.UUID,
    reviewer_id: str,
    scores: dict[str, Any],
    *,
    submit: bool,
):
    """A draft may be saved any number of times; submitting scores every criterion, and only once."""
    row = await lock(session, clause, year, shared=True)
    require(State(row.state), State.IN_REVIEW, doing_en="reviews are written", doing_zh="评审打分")
    await _on_panel(session, row, reviewer_id)
    await _reviewable(session, row, application_id)
    if (
        await session.execute(
            select(conflicts.c.reason).where(
                conflicts.c.application_id == application_id, conflicts.c.reviewer_id == reviewer_id
            )
        )
    ).first():
        raise RuleBroken(
            "recused",
            "you declared a conflict of interest with this candidate and are recused: you cannot score it",
            "您已就该候选对象申报利益冲突并回避，不能评分",
            status=403,
        )
    existing = (
        await session.execute(
            select(reviews)
            .where(reviews.c.application_id == application_id, reviews.c.reviewer_id == reviewer_id)
            .with_for_update()
        )
    ).first()
    if existing and existing.status == "submitted":
        raise RuleBroken(
            "already_submitted", "this review was already submitted; it cannot change", "该评审意见已提交，不能修改"
        )
    criteria = ctx.selection(row.clause).formula.criteria
    try:
        check_scores(criteria, scores, complete=submit)
    except BadScores as bad:
        raise RuleBroken(
            "invalid_scores",
            "the scores are not valid; see fields",
            "评分有误，详见字段说明",
            status=422,
            fields=[
                {"field": f, "code": "invalid_score", "message_en": en, "message_zh": zh} for f, en, zh in bad.problems
            ],
        ) from None
    complete = all(c.id in scores for c in criteria)
    now = ctx.now()
    values = {
        "scores": scores,
        "score": review_score(criteria, scores) if complete else None,
        "status": "submitted" if submit else "draft",
        "updated_at": now,
        "submitted_at": now if submit else None,
    }
    if existing:
        await session.execute(
            update(reviews)
            .where(reviews.c.application_id == application_id, reviews.c.reviewer_id == reviewer_id)
            .values(**values)
        )
    else:
        await session.execute(insert(reviews).values(application_id=application_id, reviewer_id=reviewer_id, **values))
    return (
        await session.execute(
            select(reviews).where(reviews.c.application_id == application_id, reviews.c.reviewer_id == reviewer_id)
        )
    ).one()
