"""The background loop that closes and concludes rounds outlives a database outage."""

import asyncio

from services.quota.worker import round_keeper
from tests.unit.quota import quota_context


class Unreachable:
    """Sessions whose database is down: every use fails the way asyncpg does."""

    def __init__(self):
        self.attempts = 0

    def __call__(self):
        self.attempts += 1
        raise ConnectionRefusedError("database unreachable")


async def test_the_round_keeper_logs_and_retries_through_a_database_outage(caplog):
    sessions = Unreachable()
    task = asyncio.create_task(round_keeper(sessions, quota_context(), tick_s=0.001)())
    async with asyncio.timeout(5):
        while sessions.attempts < 3:
            await asyncio.sleep(0.001)
    assert not task.done()
    task.cancel()
    assert "round keeper failed; retrying" in caplog.text
