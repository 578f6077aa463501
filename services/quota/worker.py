"""Deadlines and notice ends pass without anyone calling: this loop closes rounds whose application
deadline passed and concludes rounds whose notice ended with no open objection. Every replica runs
it; a round locked by another replica is skipped (`SKIP LOCKED`). Failures (a database outage) are
logged and retried on the next tick: the loop never ends by itself."""

import asyncio
import logging

from sqlalchemy import or_, select

from services.quota import conclusion
from services.quota import rounds as round_ops
from services.quota.context import Context
from services.quota.domain.lifecycle import RuleBroken, State
from services.quota.tables import rounds

log = logging.getLogger(__name__)


async def tick(sessions, ctx: Context) -> list[tuple[str, int, str]]:
    """One pass; returns the moves it made as (clause, year, new state)."""
    now = ctx.now()
    async with sessions() as session:
        due = (
            (
                await session.execute(
                    select(rounds.c.id).where(
                        or_(
                            (rounds.c.state == State.OPEN) & (rounds.c.deadline < now),
                            rounds.c.state == State.IN_NOTICE,
                        )
                    )
                )
            )
            .scalars()
            .all()
        )
    moved = []
    for rid in due:
        try:
            async with sessions.begin() as session:
                row = (
                    await session.execute(select(rounds).where(rounds.c.id == rid).with_for_update(skip_locked=True))
                ).first()
                if row is None:
                    continue  # another replica is on it
                if row.state == State.OPEN and ctx.now() > row.deadline:
                    target, why = State.CLOSED, "application deadline passed"
                elif row.state == State.IN_NOTICE and await conclusion.ready(session, ctx, row) is None:
                    target, why = State.CONCLUDED, "public notice ended with no open objection"
                else:
                    continue
                await round_ops.transition(session, ctx, row.clause, row.year, target, by="system", reason=why)
        except RuleBroken as refused:  # rolled back; said in the log, tried again next tick
            log.warning("round %s cannot move on: %s", rid, refused)
            continue
        moved.append((row.clause, row.year, target.value))
    return moved


def round_keeper(sessions, ctx: Context, tick_s: float):
    async def round_keeper() -> None:
        while True:
            try:
                moved = await tick(sessions, ctx)
                if moved:
                    log.info("rounds moved: %s", moved)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("round keeper failed; retrying in %s s", tick_s)
            await asyncio.sleep(tick_s)

    return round_keeper
