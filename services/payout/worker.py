"""The loop that sends payouts to the finance system, and tells of holds for missing bank details
whose grace has passed. Every replica runs it; one makes a batch at a time.

A round sends full batches while full, then one with what is left. After a round that sent
something the next waits the batch interval, so that payouts requested meanwhile leave together.
After one that sent nothing the loop sleeps until a payout is requested or held quietly (the
database announces either on `payout.payouts`, from whichever process and path made it so), or the
next quiet hold's grace runs out, and at the latest after its poll interval, in case a notification
was lost.
"""

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.payout import finance
from services.payout.context import Context
from services.payout.payouts import announce_quiet_holds, next_quiet_hold_in
from shared.messaging import wakeups
from shared.messaging.wakeups import Listener

log = logging.getLogger(__name__)
# Announced by a trigger (migration 0009) whenever a payout becomes requested, or is held quietly.
CHANNEL = wakeups.channel("payout", "payouts")


def batcher(
    sessions: async_sessionmaker[AsyncSession],
    ctx: Context,
    listener: Listener,
    *,
    interval_s: float,
    poll_s: float,
    max_payouts: int,
):
    announced = asyncio.Event()
    listener.subscribe(CHANNEL, announced.set)

    async def send_payout_batches() -> None:
        while True:
            announced.clear()  # before looking: what is announced from now on wakes the next round
            if await send_round(sessions, ctx, max_payouts):
                await asyncio.sleep(interval_s)
                continue
            async with sessions() as session:
                hold_due_in = await next_quiet_hold_in(session, ctx)
            await wakeups.sleep(announced, poll_s, hold_due_in)

    return send_payout_batches


async def send_round(sessions: async_sessionmaker[AsyncSession], ctx: Context, max_payouts: int) -> int:
    """Tells of the quiet holds now due, then sends batches while they are full; how many payouts left."""
    async with sessions.begin() as session:
        await announce_quiet_holds(session, ctx)
    total = 0
    while True:
        async with sessions.begin() as session:
            sent = await finance.send_batch(session, ctx, max_payouts)
        if sent:
            log.info("sent a batch of %d payout(s) to the finance system", sent)
        total += sent
        if sent < max_payouts:
            return total
