"""Per-caller rate limits: a rate in requests a second, and a burst of `burst_seconds` of it at once.

`RateLimiter` keeps its buckets in the process, so each replica allows a caller its whole rate.
`SharedRateLimiter` keeps them in the service's own schema, so a caller's rate holds in total across
every replica: intake uses it, where a partner's rate is the contract. Both answer the same question
(`retry_after`), so `shared/auth.py` takes either.
"""

import math
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Protocol

import asyncpg

REFUSED_FOR_GOOD_S = 60  # what a caller with no rate at all is told to wait


class Limiter(Protocol):
    async def retry_after(self, partner_id: str, rate: Decimal) -> int | None:
        """None when the request may go ahead; otherwise the whole seconds to wait."""


class RateLimiter:
    """Token buckets in this process: a replica's own allowance, with no shared state to reach."""

    def __init__(self, burst_seconds: float = 2.0, clock: Callable[[], float] = time.monotonic):
        self._buckets: dict[str, tuple[float, float]] = {}  # partner → (tokens, updated at)
        self._burst_seconds, self._clock = burst_seconds, clock

    async def retry_after(self, partner_id: str, rate: Decimal) -> int | None:
        rate_f = float(rate)
        capacity = max(1.0, rate_f * self._burst_seconds)
        now = self._clock()
        tokens, updated = self._buckets.get(partner_id, (capacity, now))
        tokens = min(capacity, tokens + (now - updated) * rate_f)
        if tokens >= 1:
            self._buckets[partner_id] = (tokens - 1, now)
            return None
        self._buckets[partner_id] = (tokens, now)
        return max(1, math.ceil((1 - tokens) / rate_f)) if rate_f > 0 else REFUSED_FOR_GOOD_S


# GCRA (the generic cell rate algorithm, a token bucket that stores one timestamp): each caller
# has a theoretical arrival time (TAT), when it would have spent its allowance at its rate. A
# request moves it on by one interval (1/rate) and is allowed while that leaves it within the burst
# window of now. One statement, atomic on its own: the upsert's conflict *is* the update of a
# known caller (not one swallowed), and a refused request writes nothing. The database's clock is
# the one clock every replica shares. The scalar subquery reads the statement's snapshot, i.e. the
# TAT before this request: where a request is refused, that says how long to wait.
#   $1 caller, $2 interval (1/rate) × the tokens taken at once, $3 burst window (≥ one interval)
_TAKE = """
    WITH allowed AS (
        INSERT INTO {table} AS r (partner_id, theoretical_arrival)
        VALUES ($1, now() + $2::interval)
        ON CONFLICT (partner_id) DO UPDATE
            SET theoretical_arrival = greatest(r.theoretical_arrival, now()) + $2::interval
            WHERE greatest(r.theoretical_arrival, now()) + $2::interval <= now() + $3::interval
        RETURNING 1)
    SELECT EXISTS (SELECT FROM allowed) AS allowed,
           (SELECT extract(epoch FROM theoretical_arrival + $2::interval - $3::interval - now())
              FROM {table} WHERE partner_id = $1) AS wait_s"""


class SharedRateLimiter:
    """Rates that hold across replicas, kept in `schema`'s `rate_limits` table (the service's own
    migration makes it: `partner_id text PRIMARY KEY, theoretical_arrival timestamptz NOT NULL`,
    UNLOGGED). One statement per request, on the pool `pool()` gives: the service's hot-path pool,
    so that the limit opens no connections of its own and waits on no smaller pool than the
    requests it limits.

    The table is unlogged: its updates write no WAL, so the commit waits for no disk flush and the
    hot row is cheap to update. What that costs is after a database crash (or a failover) the
    table comes back empty, so each caller gets one fresh burst: a limit, not a ledger.

    A caller fast enough to have many requests in `lease_s` takes that many tokens at once (at most
    a quarter of its burst, so that other replicas find some) and spends them here: one statement
    per lease, not per request, and one row that is not fought over by every request. Tokens are
    charged when leased, so the total never exceeds the limit; a lease not spent within its own
    span (its tokens' worth of the rate) lapses, so that no replica keeps old tokens for a later
    burst. A slow caller's lease is one token: exactly the rule above."""

    def __init__(
        self,
        pool: Callable[[], asyncpg.Pool],
        schema: str,
        *,
        burst_seconds: float = 2.0,
        lease_s: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._pool = pool
        self._burst = timedelta(seconds=burst_seconds)
        self._take = _TAKE.format(table=f"{schema}.rate_limits")
        self._lease_s, self._clock = lease_s, clock
        self._leased: dict[str, tuple[int, float]] = {}  # caller → (tokens left, lapsing at)

    async def retry_after(self, partner_id: str, rate: Decimal) -> int | None:
        if rate <= 0:
            return REFUSED_FOR_GOOD_S
        if self._spend(partner_id):
            return None
        interval = timedelta(seconds=float(1 / rate))
        window = max(interval, self._burst)
        lease = max(1, min(int(rate * Decimal(self._lease_s)), int(rate * Decimal(self._burst.total_seconds()) / 4)))
        if lease > 1:
            row = await self._pool().fetchrow(self._take, partner_id, interval * lease, window)
            if row["allowed"]:
                self._leased[partner_id] = (lease - 1, self._clock() + (interval * lease).total_seconds())
                return None
        row = await self._pool().fetchrow(self._take, partner_id, interval, window)
        if row["allowed"]:
            return None
        # Unknown only where another replica's first request for this caller committed after this
        # statement began: one interval is then the wait.
        wait_s = row["wait_s"] if row["wait_s"] is not None else interval.total_seconds()
        return max(1, math.ceil(wait_s))

    def _spend(self, partner_id: str) -> bool:
        """Takes a token of this caller's lease, if it holds one that has not lapsed."""
        left, lapsing_at = self._leased.get(partner_id, (0, 0.0))
        if left <= 0 or self._clock() >= lapsing_at:
            self._leased.pop(partner_id, None)
            return False
        self._leased[partner_id] = (left - 1, lapsing_at)
        return True
