"""Concluding a round: a result for every candidate, and what the selected are owed."""

import uuid
from decimal import Decimal

from sqlalchemy import func, select, update

from services.quota import events as ev
from services.quota.context import Context
from services.quota.domain.lifecycle import RuleBroken
from services.quota.tables import candidates, details, notices, objections
from shared.events import AwardGrantedV1, GrantLine, RecognitionGrantedV1


async def ready(session, ctx: Context, row) -> RuleBroken | None:
    """Why the round cannot conclude today, if it cannot."""
    last_end = (await session.execute(select(func.max(notices.c.ends_on)).where(notices.c.round_id == row.id))).scalar()
    if last_end is None or ctx.today() <= last_end:
        return RuleBroken(
            "notice_running",
            f"the public notice runs until {last_end}; the round concludes from the next day",
            f"公示期至 {last_end}，次日起方可结束本轮",
        )
    open_objections = (
        await session.execute(
            select(func.count())
            .select_from(objections)
            .where(objections.c.round_id == row.id, objections.c.status == "open")
        )
    ).scalar_one()
    if open_objections:
        return RuleBroken(
            "objections_open",
            f"{open_objections} objection(s) are still open: decide them first",
            f"尚有 {open_objections} 件异议未处理",
        )
    return None


async def conclude(session, ctx: Context, row) -> dict:
    if problem := await ready(session, ctx, row):
        raise problem
    selection = ctx.selection(row.clause)
    members = (
        await session.execute(
            select(candidates)
            .where(candidates.c.round_id == row.id, candidates.c.standing != "refused")
            .order_by(candidates.c.rank, candidates.c.application_id)
        )
    ).all()
    known = {
        d.application_id: d
        for d in (
            await session.execute(
                select(details).where(details.c.application_id.in_([c.application_id for c in members]))
            )
        ).all()
    }
    now, events, chosen = ctx.now(), [], 0
    for c in members:
        if c.standing == "proposed":
            chosen += 1
            standing, reason = (
                "selected",
                (f"selected: rank {c.rank}, score {c.review_score}; the public notice ended with no objection upheld"),
            )
            events.append(ev.concluded(ctx, c, selected=True, rank=c.rank, reason=reason))
            events += _owed(ctx, selection, c, known.get(c.application_id), now)
        elif c.standing in ("waitlisted", "below_minimum", "removed"):
            standing = "not_selected"
            reason = c.result_reason or (
                f"ranked {c.rank} with score {c.review_score}: the quota of {row.quota} was filled"
                if c.standing == "waitlisted"
                else c.explanation["en"]
            )
            events.append(ev.concluded(ctx, c, selected=False, rank=None, reason=reason))
        else:
            raise RuleBroken(
                "unsettled_candidate",
                f"candidate {c.application_id} is still {c.standing}",
                f"候选对象 {c.application_id} 状态仍为 {c.standing}",
            )
        await session.execute(
            update(candidates)
            .where(candidates.c.application_id == c.application_id)
            .values(standing=standing, result_reason=reason)
        )
    await ctx.publisher.publish(session, *events)
    return {"reason": f"{chosen} selected of {len(members)} candidate(s) (quota {row.quota})"}


def _owed(ctx: Context, selection, c, detail, now) -> list:
    """An award for a money clause (the amount eligibility computed), a recognition listing the
    benefits the policy names; deterministic ids, so a repeat is the same award."""
    if detail is None:
        raise RuleBroken(
            "details_missing",
            f"candidate {c.application_id} has no details (name, project, subjects) to award it by",
            f"候选对象 {c.application_id} 缺少申报单位名称、项目及申报事项，无法据以授予",
        )
    owed = []
    amount = Decimal(c.amount)
    if selection.monetary and amount > 0:
        owed.append(
            ctx.publisher.event(
                AwardGrantedV1(
                    award_id=uuid.uuid5(c.application_id, "award"),
                    application_id=c.application_id,
                    credit_code=c.credit_code,
                    clause=c.clause,
                    amount=amount,
                    grants=[
                        GrantLine(subject_key=g["subject_key"], amount=amount, project_id=g.get("project_id"))
                        for g in detail.grants
                    ],
                    granted_at=now,
                ),
                key=c.credit_code,
                subject=str(c.application_id),
            )
        )
    if selection.benefits_en:
        owed.append(
            ctx.publisher.event(
                RecognitionGrantedV1(
                    recognition_id=uuid.uuid5(c.application_id, "recognition"),
                    application_id=c.application_id,
                    credit_code=c.credit_code,
                    clause=c.clause,
                    year=c.year,
                    rank=c.rank,
                    benefits_zh=selection.benefits_zh or "",
                    benefits_en=selection.benefits_en,
                    grants=[
                        GrantLine(subject_key=g["subject_key"], amount=Decimal(0), project_id=g.get("project_id"))
                        for g in detail.grants
                    ],
                    granted_at=now,
                ),
                key=c.credit_code,
                subject=str(c.application_id),
            )
        )
    return owed
