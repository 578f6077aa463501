"""The loop that sends payouts to the finance system: a batch every few seconds, or at once while
full batches wait; on each round it also tells of holds for missing bank details whose grace has
passed. Every replica runs it; one makes a batch at a time."""

import asyncio
import logging

from services.payout import finance
from services.payout.context import Context
from services.payout.payouts import announce_quiet_holds

log = logging.getLogger(__name__)


def batcher(sessions, ctx: Context, interval_s: float, max_payouts: int):
    async def send_payout_batches() -> None:
        while True:
            async with sessions.begin() as session:
                await announce_quiet_holds(session, ctx)
            while True:
                async with sessions.begin() as session:
                    sent = await finance.send_batch(session, ctx, max_payouts)
                if sent:
                    log.info("sent a batch of %d payout(s) to the finance system", sent)
                if sent < max_payouts:
                    break
            await asyncio.sleep(interval_s)

    return send_payout_batches
