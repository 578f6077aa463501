"""A caller well within its rate has its tokens leased many at a time from the shared row; the total
across replicas never exceeds the limit, even for a caller beyond it (leases then give way to single
tokens); a slow caller's lease is one token, as before. Leases follow what a caller sends, not its
rate: many requests at once share one lease, and a caller rated far above what it sends is never
refused for tokens leased and left unspent."""

import asyncio
import time
import uuid
from decimal import Decimal

import asyncpg
import pytest

from shared.ratelimit import SharedRateLimiter
from tests.infra import create_database

pytestmark = pytest.mark.integration


class Counted:
    """The pool, counting the statements sent through it."""

    def __init__(self, pool: asyncpg.Pool):
        self.pool, self.statements = pool, 0

    async def fetchrow(self, *args):
        self.statements += 1
        return await self.pool.fetchrow(*args)


@pytest.fixture
async def counted(postgres):
    url = await create_database(postgres.url_template, f"test_rates_{uuid.uuid4().hex[:8]}")
    pool = await asyncpg.create_pool(url.replace("+asyncpg", ""), min_size=1, max_size=2)
    await pool.execute(
        "CREATE SCHEMA limits; CREATE UNLOGGED TABLE limits.rate_limits "
        "(partner_id text PRIMARY KEY, theoretical_arrival timestamptz NOT NULL)"
    )
    yield Counted(pool)
    await pool.close()


async def test_a_caller_within_its_rate_takes_its_tokens_a_lease_at_a_time(counted):
    replicas = [SharedRateLimiter(lambda: counted, "limits") for _ in range(2)]
    answers = [await replicas[n % 2].retry_after("fast", Decimal(100_000)) for n in range(6000)]
    assert answers.count(None) == 6000
    assert counted.statements < 6000 / 20, counted.statements  # not a statement per request


async def test_a_caller_beyond_its_rate_gets_no_more_than_its_limit_across_leasing_replicas(counted):
    rate, burst_s = Decimal(2000), 1.0
    replicas = [SharedRateLimiter(lambda: counted, "limits", burst_seconds=burst_s) for _ in range(2)]
    started, accepted = time.monotonic(), 0
    for n in range(8000):
        if await replicas[n % 2].retry_after("greedy", rate) is None:
            accepted += 1
    elapsed = time.monotonic() - started

    assert accepted <= float(rate) * (burst_s + elapsed), (accepted, elapsed)  # never more, in total
    assert accepted >= float(rate) * burst_s / 2, (accepted, elapsed)  # and leases do not starve it


async def test_a_slow_callers_lease_is_one_token_so_its_burst_is_exact(counted):
    replicas = [SharedRateLimiter(lambda: counted, "limits", burst_seconds=5) for _ in range(2)]
    answers = [await replicas[n % 2].retry_after("slow", Decimal(2)) for n in range(20)]
    assert answers.count(None) == 10  # 2/s × 5 s
    assert counted.statements == 20
    assert all(wait and wait >= 1 for wait in answers[10:])


async def test_requests_arriving_together_share_one_lease(counted):
    limiter = SharedRateLimiter(lambda: counted, "limits")
    for _ in range(5):
        answers = await asyncio.gather(*(limiter.retry_after("crowd", Decimal(100_000)) for _ in range(64)))
        assert answers == [None] * 64
    assert counted.statements <= 5 * 2, counted.statements  # not one lease each


async def test_a_caller_rated_far_above_what_it_sends_keeps_its_burst(counted):
    # Leases sized by the rate alone (50 ms of a million a second, each) would charge this 0.2 s
    # burst in full within a few waves, though the caller sends a tiny share of its rate: then
    # any request that waited on the row could be refused.
    replicas = [SharedRateLimiter(lambda: counted, "limits", burst_seconds=0.2) for _ in range(2)]
    for wave in range(40):
        limiter = replicas[wave % 2]
        answers = await asyncio.gather(*(limiter.retry_after("roomy", Decimal(1_000_000)) for _ in range(64)))
        assert answers == [None] * 64, wave
    charged_ahead_s = await counted.pool.fetchval(
        "SELECT extract(epoch FROM theoretical_arrival - now()) FROM limits.rate_limits WHERE partner_id = 'roomy'"
    )
    assert charged_ahead_s < 0.1, charged_ahead_s  # most of the burst still there
