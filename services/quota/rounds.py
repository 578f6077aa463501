"""A round's life: creation, candidates joining it, and each transition with its preconditions.

Every operation runs inside the caller's transaction and starts by locking the round's row
(`SELECT … FOR UPDATE`), so admin calls, the background loop and candidate events on any number of
replicas act on a round one at a time. The quota itself is also held by the database (`slots`).
"""

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncSession

from services.quota import events as ev
from services.quota.context import Context
from services.quota.domain.lifecycle import RuleBroken, State, check_transition
from services.quota.domain.ranking import Entry, Standing, rank
from services.quota.domain.scoring import candidate_score
from services.quota.tables import candidates, conflicts, details, notices, panel, reviews, rounds, slots, transitions
from shared.workdays import CalendarUnknown, notice_end

ROUND_NS = uuid.UUID("6f1c3a52-5d0e-4f7e-9a51-0c2b7c1f4e11")


def round_id(clause: str, year: int) -> uuid.UUID:
    return uuid.uuid5(ROUND_NS, f"{clause}:{year}")


def not_found(clause: str, year: int) -> RuleBroken:
    return RuleBroken(
        "not_found", f"no {year} round for {clause}", f"未找到 {clause} 的 {year} 年度评选轮次", status=404
    )


async def lock(session: AsyncSession, clause: str, year: int, *, shared: bool = False):
    """The round's row, locked until the transaction ends: exclusively for anything that changes the
    round or its standings; shared for reviewers' work, which may go on side by side."""
    row = (
        await session.execute(select(rounds).where(rounds.c.id == round_id(clause, year)).with_for_update(read=shared))
    ).first()
    if row is None:
        raise not_found(clause, year)
    return row


async def create(
    session: AsyncSession,
    ctx: Context,
    *,
    by: str,
    clause: str,
    year: int,
    deadline: datetime,
    min_reviews: int = 3,
    min_score: Decimal = Decimal(60),
    notice_working_days: int | None = None,
    quota: int | None = None,
):
    selection = ctx.selection(clause)
    ceiling = selection.formula.quota
    quota = ceiling if quota is None else quota
    if not 1 <= quota <= ceiling:
        raise RuleBroken(
            "quota_above_policy",
            f"the quota must be from 1 to the policy's {ceiling}",
            f"名额须为 1 至政策规定的 {ceiling} 个",
            status=422,
        )
    now = ctx.now()
    if deadline <= now:
        raise RuleBroken(
            "deadline_passed",
            f"the deadline {deadline.isoformat()} has already passed",
            f"申报截止时间 {deadline.isoformat()} 已过",
            status=422,
        )
    rid = round_id(clause, year)
    created = (
        await session.execute(
            upsert(rounds)
            .values(
                id=rid,
                clause=clause,
                year=year,
                quota=quota,
                deadline=deadline,
                min_reviews=min_reviews,
                min_score=min_score,
                notice_working_days=notice_working_days or selection.formula.notice_days,
                state=State.OPEN,
                created_by=by,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing()
            .returning(rounds.c.id)
        )
    ).first()
    if created is None:
        raise RuleBroken(
            "round_exists", f"the {year} round for {clause} already exists", f"{clause} 的 {year} 年度评选轮次已存在"
        )
    row = await lock(session, clause, year)
    await _record(session, ctx, row, None, State.OPEN, by, "round created")
    # Candidates admitted before the round existed join it now, or are refused if late.
    waiting = (
        await session.execute(
            select(candidates).where(
                candidates.c.clause == clause, candidates.c.year == year, candidates.c.standing == "awaiting_round"
            )
        )
    ).all()
    for cand in waiting:
        await place_candidate(session, ctx, row, cand, admitted_at=cand.admitted_at)
    return row


async def place_candidate(session: AsyncSession, ctx: Context, row, cand, *, admitted_at: datetime, cause=None) -> None:
    """A candidate joins its round, or is refused with the reason: late is when both its submission
    and its admission came after the deadline; a round already ranked takes nobody new."""
    late = cand.submitted_at > row.deadline and admitted_at > row.deadline
    if late or State(row.state) in (State.RANKED, State.IN_NOTICE, State.CONCLUDED):
        if late:
            reason = (
                f"submitted on {cand.submitted_at.isoformat()}, after the round's deadline {row.deadline.isoformat()}"
            )
        else:
            reason = f"reached the round after it was ranked ({row.state})"
        await session.execute(
            update(candidates)
            .where(candidates.c.application_id == cand.application_id)
            .values(round_id=row.id, standing="refused", result_reason=reason)
        )
        await ctx.publisher.publish(
            session, ev.concluded(ctx, cand, selected=False, rank=None, reason=reason, cause=cause)
        )
        return
    await session.execute(
        update(candidates)
        .where(candidates.c.application_id == cand.application_id)
        .values(round_id=row.id, standing="candidate")
    )
    if State(row.state) == State.IN_REVIEW:
        await ctx.publisher.publish(session, ev.progressed(ctx, cand, "in_review", cause=cause))


async def transition(
    session: AsyncSession, ctx: Context, clause: str, year: int, target: State, *, by: str, reason: str = ""
):
    row = await lock(session, clause, year)
    current = State(row.state)
    check_transition(current, target)
    step = {
        State.CLOSED: _close,
        State.IN_REVIEW: _start_review,
        State.RANKED: _rank,
        State.IN_NOTICE: _publish_notice,
        State.CONCLUDED: _conclude,
    }[target]
    detail = await step(session, ctx, row)
    await _record(
        session,
        ctx,
        row,
        current,
        target,
        by,
        reason or detail.get("reason", ""),
        notice_ends_on=detail.get("notice_ends_on"),
    )
    return await lock(session, clause, year)


async def _record(
    session, ctx: Context, row, previous: State | None, state: State, by: str, reason: str, notice_ends_on=None
) -> None:
    now = ctx.now()
    await session.execute(update(rounds).where(rounds.c.id == row.id).values(state=state, updated_at=now))
    await session.execute(
        insert(transitions).values(round_id=row.id, previous=previous, state=state, by=by, reason=reason, at=now)
    )
    await ctx.publisher.publish(session, ev.round_changed(ctx, row, previous, state, by, reason, notice_ends_on))


async def _members(session, row, *standings: str):
    query = select(candidates).where(candidates.c.round_id == row.id)
    if standings:
        query = query.where(candidates.c.standing.in_(standings))
    return (
        await session.execute(
            query.order_by(candidates.c.rank.nulls_last(), candidates.c.submitted_at, candidates.c.application_id)
        )
    ).all()


async def _close(session, ctx: Context, row) -> dict:
    if ctx.now() <= row.deadline:
        raise RuleBroken(
            "deadline_not_passed",
            f"the round takes applications until {row.deadline.isoformat()}",
            f"本轮申报截止时间为 {row.deadline.isoformat()}，尚未截止",
        )
    return {"reason": "application deadline passed"}


async def _start_review(session, ctx: Context, row) -> dict:
    reviewers = (
        await session.execute(select(func.count()).select_from(panel).where(panel.c.round_id == row.id))
    ).scalar_one()
    if reviewers < row.min_reviews:
        raise RuleBroken(
            "panel_incomplete",
            f"the panel has {reviewers} reviewer(s); each candidate needs {row.min_reviews} reviews",
            f"评审专家组现有 {reviewers} 人，每个候选对象需要 {row.min_reviews} 份评审意见",
        )
    members = await _members(session, row, "candidate")
    await ctx.publisher.publish(session, *[ev.progressed(ctx, c, "in_review") for c in members])
    return {"reason": f"{len(members)} candidate(s), {reviewers} reviewer(s)"}


async def review_scores(session, round_row) -> dict[uuid.UUID, list[Decimal]]:
    """Each candidate's submitted review scores, leaving out those of recused reviewers."""
    recused = select(conflicts.c.application_id).where(
        conflicts.c.application_id == reviews.c.application_id, conflicts.c.reviewer_id == reviews.c.reviewer_id
    )
    rows = (
        await session.execute(
            select(reviews.c.application_id, reviews.c.score)
            .join(candidates, candidates.c.application_id == reviews.c.application_id)
            .where(candidates.c.round_id == round_row.id, reviews.c.status == "submitted", ~recused.exists())
        )
    ).all()
    scores: dict[uuid.UUID, list[Decimal]] = {}
    for r in rows:
        scores.setdefault(r.application_id, []).append(r.score)
    return scores


async def _rank(session, ctx: Context, row) -> dict:
    members = await _members(session, row, "candidate")
    scores = await review_scores(session, row)
    lacking = [c for c in members if len(scores.get(c.application_id, [])) < row.min_reviews]
    if lacking:
        listed = ", ".join(f"{c.application_id} ({len(scores.get(c.application_id, []))})" for c in lacking)
        raise RuleBroken(
            "reviews_missing",
            f"each candidate needs {row.min_reviews} submitted reviews by non-recused reviewers; short: {listed}",
            f"每个候选对象需要 {row.min_reviews} 份未回避专家提交的评审意见；不足：{listed}",
        )
    # Ranked only with every candidate's details: the notice that follows names each one, and the
    # awards settle their subjects. They come with a v2 admission; one admitted by v1 lacks them
    # until a v2 admission of it arrives (handlers.py), which waiting alone does not bring.
    known = set(
        (
            await session.execute(
                select(details.c.application_id).where(
                    details.c.application_id.in_([c.application_id for c in members])
                )
            )
        ).scalars()
    )
    unheard = [str(c.application_id) for c in members if c.application_id not in known]
    if unheard:
        raise RuleBroken(
            "details_missing",
            f"{', '.join(unheard)} were admitted without the applicant's name, project and subjects "
            "(a candidate.admitted.v1 event): the round cannot be ranked until a "
            "candidate.admitted.v2 admission of each brings them",
            f"申请 {'、'.join(unheard)} 入围时未附申报单位名称、项目及申报事项（v1 入围事件），"
            "须待其 v2 入围事件送达后方可排名",
        )
    entries: list[Entry] = []
    trimmed: dict[uuid.UUID, bool] = {}
    for c in members:
        score, trimmed[c.application_id] = candidate_score(scores[c.application_id])
        assert score is not None, "every candidate has its min_reviews (at least one), counted above"
        entries.append(Entry(c.application_id, score, c.indicators, c.submitted_at))
    selection = ctx.selection(row.clause)
    placed = rank(entries, quota=row.quota, min_score=row.min_score, tie_breaks=selection.formula.tie_breaks)
    slot = 0
    for p in placed:
        n = len(scores[p.application_id])
        how = (
            f"mean of {n} reviews without the highest and the lowest"
            if trimmed[p.application_id]
            else f"mean of {n} reviews"
        )
        await session.execute(
            update(candidates)
            .where(candidates.c.application_id == p.application_id)
            .values(
                review_score=p.score,
                rank=p.rank,
                standing=p.standing.value,
                explanation={"en": f"score {p.score} ({how}); {p.explanation_en}", "zh": p.explanation_zh},
            )
        )
        if p.standing == Standing.PROPOSED:
            slot += 1
            await session.execute(
                insert(slots).values(round_id=row.id, quota=row.quota, slot=slot, application_id=p.application_id)
            )
    waitlisted = sum(p.standing == Standing.WAITLISTED for p in placed)
    return {"reason": f"{slot} proposed within the quota of {row.quota}, {waitlisted} on the waitlist"}


async def _publish_notice(session, ctx: Context, row) -> dict:
    today = ctx.today()
    notice = await open_notice(session, ctx, row, "initial")
    for c in await _members(session, row):
        if c.standing == "proposed":
            await session.execute(
                update(candidates).where(candidates.c.application_id == c.application_id).values(notice_id=notice.id)
            )
            await ctx.publisher.publish(
                session,
                ev.progressed(ctx, c, "in_notice", rank=c.rank, score=c.review_score, notice_ends_on=notice.ends_on),
            )
        elif c.standing == "waitlisted":
            await ctx.publisher.publish(
                session,
                ev.progressed(ctx, c, "waitlisted", rank=c.rank, score=c.review_score, reason=c.explanation["en"]),
            )
        elif c.standing == "below_minimum":
            await ctx.publisher.publish(
                session,
                ev.progressed(ctx, c, "not_proposed", rank=c.rank, score=c.review_score, reason=c.explanation["en"]),
            )
    return {"reason": f"public notice from {today} to {notice.ends_on}", "notice_ends_on": notice.ends_on}


async def open_notice(session, ctx: Context, row, kind: str):
    today = ctx.today()
    try:
        ends_on = notice_end(today, row.notice_working_days)
    except CalendarUnknown as e:
        raise RuleBroken(
            "calendar_unknown", str(e), f"工作日历缺少 {today.year} 年数据，无法计算公示截止日期"
        ) from None
    notice_id = uuid.uuid4()
    await session.execute(
        insert(notices).values(
            id=notice_id, round_id=row.id, kind=kind, published_on=today, ends_on=ends_on, published_at=ctx.now()
        )
    )
    return (await session.execute(select(notices).where(notices.c.id == notice_id))).one()


async def _conclude(session, ctx: Context, row) -> dict:
    from services.quota import conclusion  # the results and what they owe

    return await conclusion.conclude(session, ctx, row)
