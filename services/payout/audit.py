"""`subsidy ledger verify`: the whole ledger replayed from genesis under the rules (see
domain/verify.py), read straight from payout's schema, the transfers a slice at a time, and held to
the newest head published outside it."""

from collections.abc import AsyncIterator

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.payout.books import as_account, as_link
from services.payout.domain.chain import Head, Link
from services.payout.domain.keys import KeyRing
from services.payout.domain.verify import Verified, verify
from services.payout.tables import accounts, awards, transfers

SLICE = 5000


async def _rows(session: AsyncSession) -> AsyncIterator[Link]:
    after = 0
    while True:
        page = (
            await session.execute(
                select(transfers).where(transfers.c.seq > after).order_by(transfers.c.seq).limit(SLICE)
            )
        ).all()
        for r in page:
            yield as_link(r)
        if len(page) < SLICE:
            return
        after = page[-1].seq


async def verify_ledger(session: AsyncSession, key: bytes | KeyRing, head: Head | None = None) -> Verified:
    """Reads in one repeatable-read snapshot, so that a ledger being written to verifies as of a moment;
    `head` is the newest head published outside the payout database, when one is known."""
    await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    stored = {r.id: as_account(r) for r in await session.execute(select(accounts))}
    booked = {str(r.award_id): r.state for r in await session.execute(select(awards.c.award_id, awards.c.state))}
    rows = [row async for row in _rows(session)]
    return verify(key, rows, stored, booked, head)
