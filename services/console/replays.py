"""The dead letters the console (or `subsidy dead-letters replay`, acting as the console) sends back,
each claimed by its id in the console's `replays` table before it is sent: the claims
`shared/messaging/dead_letters.replay` takes. A claim is a plain INSERT; its primary key refusing
it is the answer "this very letter (same id) was claimed by an earlier or concurrent replay", and
that claim is what the caller is told."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.console.tables import replays
from shared.messaging.dead_letters import Claim
from shared.retention import Rule, older_than

UNIQUE_VIOLATION = "23505"
# A claim still `sending` after this is one cut short (the replayer stopped between claiming and
# sending), not one in progress: only then may an operator send its letter again, on purpose.
UNCONFIRMED_AFTER = timedelta(minutes=2)


def retention(inbox_retention: timedelta) -> list[Rule]:
    """Claims of letters sent longer ago than the inboxes remember, for the console's pruner
    (shared/retention.py): such a letter's event is older still, so a replay of it is refused as
    too old whether or not its claim is kept. A claim still `sending` stays for its operator."""
    return [
        Rule(replays, replays.c.claimed_at, older_than(replays.c.sent_at, inbox_retention, replays.c.state == "sent"))
    ]


def _unique_violation(e: IntegrityError) -> bool:
    return getattr(e.orig, "sqlstate", None) == UNIQUE_VIOLATION


class ReplayClaims:
    def __init__(self, db: async_sessionmaker):
        self._db = db

    async def claim(self, letter_id: str, by: str, *, resend_unconfirmed: bool = False) -> Claim:
        try:
            async with self._db.begin() as session:
                await session.execute(insert(replays).values(letter_id=letter_id, state="sending", claimed_by=by))
            return Claim(True, "sending", by, datetime.now(UTC))
        except IntegrityError as e:
            if not _unique_violation(e):
                raise
        async with self._db.begin() as session:
            if resend_unconfirmed:
                # Two operators resending at once: the row lock makes the second see the first's
                # fresh claimed_at, which is no longer old enough.
                taken = await session.execute(
                    update(replays)
                    .where(
                        replays.c.letter_id == letter_id,
                        replays.c.state == "sending",
                        replays.c.claimed_at < func.now() - UNCONFIRMED_AFTER,
                    )
                    .values(claimed_by=by, claimed_at=func.now())
                    .returning(replays.c.claimed_at)
                )
                if (at := taken.scalar_one_or_none()) is not None:
                    return Claim(True, "sending", by, at)
            held = (await session.execute(select(replays).where(replays.c.letter_id == letter_id))).one()
        return Claim(False, held.state, held.claimed_by, held.claimed_at)

    async def sent(self, letter_id: str) -> None:
        async with self._db.begin() as session:
            await session.execute(
                update(replays)
                .where(replays.c.letter_id == letter_id, replays.c.state == "sending")
                .values(state="sent", sent_at=func.now())
            )
