"""When the mail and webhook workers look for work.

Whatever makes a delivery due (a consumer recording a status change, a partner's replay, a
registration arriving, an operator's command) announces it in the same transaction, from any
process. A worker sleeps until an announcement, or until its earliest pending delivery falls due
(a retry's time, a lease that ran out), and at the latest after its poll interval.
"""

import asyncio

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.messaging import wakeups

CHANNEL = wakeups.channel("notify", "deliveries")
# Rows due that could not be claimed (their endpoint busy, another replica's lease): look again
# this soon, not in a tight loop.
SOONEST_S = 0.2


async def announce(session: AsyncSession) -> None:
    """Deliveries became due in this session's transaction: the workers look once it commits."""
    await wakeups.notify(session, CHANNEL)


async def sleep(
    sessions: async_sessionmaker[AsyncSession], table: Table, told: asyncio.Event, at_most_s: float
) -> None:
    """Until `told` is set, or the earliest pending row of `table` is due, or `at_most_s` passed."""
    if told.is_set():
        return
    async with sessions() as session:
        earliest = select(func.extract("epoch", func.min(table.c.next_attempt_at) - func.now()))
        due_in = (await session.execute(earliest.where(table.c.status == "pending"))).scalar()
    await wakeups.sleep(told, at_most_s, None if due_in is None else float(due_in), SOONEST_S)
