"""The events a round owes, built from its rows."""

from datetime import date
from decimal import Decimal

from shared.events import RoundStateChangedV1, SelectionConcludedV1, SelectionProgressedV1
from shared.messaging.envelope import Envelope


def round_changed(ctx, row, previous, state, by: str, reason: str, notice_ends_on: date | None) -> Envelope:
    return ctx.publisher.event(
        RoundStateChangedV1(
            round_id=row.id,
            clause=row.clause,
            year=row.year,
            state=state,
            previous=previous,
            quota=row.quota,
            deadline=row.deadline,
            notice_ends_on=notice_ends_on,
            by=by,
            reason=reason,
            at=ctx.now(),
        ),
        key=f"{row.clause}:{row.year}",
        subject=str(row.id),
    )


def progressed(
    ctx,
    cand,
    step: str,
    *,
    rank: int | None = None,
    score: Decimal | None = None,
    notice_ends_on: date | None = None,
    reason: str = "",
    cause: Envelope | None = None,
) -> Envelope:
    return ctx.publisher.event(
        SelectionProgressedV1(
            application_id=cand.application_id,
            credit_code=cand.credit_code,
            clause=cand.clause,
            year=cand.year,
            step=step,
            rank=rank,
            score=score,
            notice_ends_on=notice_ends_on,
            reason=reason,
        ),
        key=cand.credit_code,
        subject=str(cand.application_id),
        cause=cause,
    )


def concluded(ctx, cand, *, selected: bool, rank: int | None, reason: str, cause: Envelope | None = None) -> Envelope:
    return ctx.publisher.event(
        SelectionConcludedV1(
            application_id=cand.application_id,
            credit_code=cand.credit_code,
            clause=cand.clause,
            year=cand.year,
            selected=selected,
            rank=rank,
            reason=reason,
        ),
        key=cand.credit_code,
        subject=str(cand.application_id),
        cause=cause,
    )
