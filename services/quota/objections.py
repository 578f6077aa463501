"""Objections during the public notice: anyone files one; an admin upholds or dismisses it.

An objection holds its candidate. Upheld, the candidate is removed, its slot freed, and the first on
the waitlist is promoted into that slot with a notice of its own. Dismissed, the candidate is back
in notice once no other objection against it is open.
"""

import uuid

from sqlalchemy import delete, insert, select, update

from services.quota import events as ev
from services.quota.context import Context
from services.quota.domain.lifecycle import RuleBroken, State, require
from services.quota.rounds import lock, open_notice
from services.quota.tables import candidates, notices, objections, slots
from shared.workdays import notice_is_open


async def _candidate(session, row, application_id: uuid.UUID):
    cand = (
        await session.execute(
            select(candidates).where(candidates.c.application_id == application_id, candidates.c.round_id == row.id)
        )
    ).first()
    if cand is None:
        raise RuleBroken(
            "not_found", f"no candidate {application_id} in this round", f"本轮无候选对象 {application_id}", status=404
        )
    return cand


async def file(
    session, ctx: Context, clause: str, year: int, application_id: uuid.UUID, *, name: str, contact: str, reason: str
):
    row = await lock(session, clause, year)
    require(State(row.state), State.IN_NOTICE, doing_en="objections are accepted", doing_zh="提出异议")
    cand = await _candidate(session, row, application_id)
    if cand.standing not in ("proposed", "held"):
        raise RuleBroken(
            "not_in_notice",
            "only a candidate proposed in the public notice can be objected to",
            "仅可对公示中的拟入选对象提出异议",
        )
    ends_on = (await session.execute(select(notices.c.ends_on).where(notices.c.id == cand.notice_id))).scalar_one()
    if not notice_is_open(ends_on, ctx.today()):
        raise RuleBroken(
            "notice_ended",
            f"the notice of this candidate ended on {ends_on}; objections were accepted through that day",
            f"该对象公示期已于 {ends_on} 结束，异议受理截至当日",
        )
    objection_id = uuid.uuid4()
    await session.execute(
        insert(objections).values(
            id=objection_id,
            round_id=row.id,
            application_id=application_id,
            name=name,
            contact=contact,
            reason=reason,
            filed_at=ctx.now(),
            status="open",
        )
    )
    if cand.standing == "proposed":
        await session.execute(
            update(candidates).where(candidates.c.application_id == application_id).values(standing="held")
        )
        await ctx.publisher.publish(
            session,
            ev.progressed(ctx, cand, "objected", rank=cand.rank, score=cand.review_score, notice_ends_on=ends_on),
        )
    return (await session.execute(select(objections).where(objections.c.id == objection_id))).one()


async def decide(
    session, ctx: Context, clause: str, year: int, objection_id: uuid.UUID, *, upheld: bool, reason: str, by: str
):
    row = await lock(session, clause, year)
    require(State(row.state), State.IN_NOTICE, doing_en="objections are decided", doing_zh="处理异议")
    objection = (
        await session.execute(
            select(objections).where(objections.c.id == objection_id, objections.c.round_id == row.id)
        )
    ).first()
    if objection is None:
        raise RuleBroken(
            "not_found", f"no objection {objection_id} in this round", f"本轮无异议 {objection_id}", status=404
        )
    if objection.status != "open":
        raise RuleBroken(
            "already_decided", f"this objection was already {objection.status}", f"该异议已处理（{objection.status}）"
        )
    cand = await _candidate(session, row, objection.application_id)
    now = ctx.now()
    if upheld:
        # Every open objection against the candidate is settled by this one.
        await session.execute(
            update(objections)
            .where(objections.c.id == objection_id)
            .values(status="upheld", decided_by=by, decided_at=now, decision_reason=reason)
        )
        await session.execute(
            update(objections)
            .where(objections.c.application_id == cand.application_id, objections.c.status == "open")
            .values(
                status="upheld",
                decided_by=by,
                decided_at=now,
                decision_reason=f"settled with objection {objection_id}: {reason}",
            )
        )
        await _remove(session, ctx, row, cand, f"objection upheld: {reason}")
    else:
        await session.execute(
            update(objections)
            .where(objections.c.id == objection_id)
            .values(status="dismissed", decided_by=by, decided_at=now, decision_reason=reason)
        )
        still_open = (
            await session.execute(
                select(objections.c.id).where(
                    objections.c.application_id == cand.application_id, objections.c.status == "open"
                )
            )
        ).first()
        if still_open is None:
            await session.execute(
                update(candidates).where(candidates.c.application_id == cand.application_id).values(standing="proposed")
            )
            ends_on = (
                await session.execute(select(notices.c.ends_on).where(notices.c.id == cand.notice_id))
            ).scalar_one()
            await ctx.publisher.publish(
                session,
                ev.progressed(
                    ctx,
                    cand,
                    "in_notice",
                    rank=cand.rank,
                    score=cand.review_score,
                    notice_ends_on=ends_on,
                    reason=f"objection dismissed: {reason}",
                ),
            )
    return (await session.execute(select(objections).where(objections.c.id == objection_id))).one()


async def _remove(session, ctx: Context, row, cand, reason: str) -> None:
    freed = (
        await session.execute(
            delete(slots).where(slots.c.application_id == cand.application_id).returning(slots.c.slot)
        )
    ).scalar_one()
    await session.execute(
        update(candidates)
        .where(candidates.c.application_id == cand.application_id)
        .values(standing="removed", result_reason=reason)
    )
    await ctx.publisher.publish(
        session, ev.progressed(ctx, cand, "removed", rank=cand.rank, score=cand.review_score, reason=reason)
    )
    await promote(session, ctx, row, freed)


async def promote(session, ctx: Context, row, slot: int):
    """The first on the waitlist takes the freed slot and gets its own notice; None if nobody waits."""
    nxt = (
        await session.execute(
            select(candidates)
            .where(candidates.c.round_id == row.id, candidates.c.standing == "waitlisted")
            .order_by(candidates.c.rank)
            .limit(1)
            .with_for_update()
        )
    ).first()
    if nxt is None:
        return None
    # The slot table refuses a second holder of this slot, or an 11th of 10, whatever the code above did.
    await session.execute(
        insert(slots).values(round_id=row.id, quota=row.quota, slot=slot, application_id=nxt.application_id)
    )
    notice = await open_notice(session, ctx, row, "promotion")
    await session.execute(
        update(candidates)
        .where(candidates.c.application_id == nxt.application_id)
        .values(standing="proposed", notice_id=notice.id)
    )
    await ctx.publisher.publish(
        session,
        ev.progressed(
            ctx,
            nxt,
            "in_notice",
            rank=nxt.rank,
            score=nxt.review_score,
            notice_ends_on=notice.ends_on,
            reason=f"promoted from the waitlist (rank {nxt.rank}) after an objection was upheld",
        ),
    )
    return nxt
