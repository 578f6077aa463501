"""Per-caller rate limits: a rate in requests a second, and a burst of `burst_seconds` of it at once.

`RateLimiter` keeps its buckets in the process, so each replica allows a caller its whole rate.
`SharedRateLimiter` keeps them in the service's own schema, so a caller's rate holds in total across
every replica: intake uses it, where a partner's rate is the contract. Both answer the same question
(`retry_after`), so `shared/auth.py` takes either.
"""

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
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


@dataclass(slots=True)
class _Lease:
    """One caller's tokens held by this replica, and the demand that sizes its next lease."""

    left: int = 0
    lapses_at: float = 0.0
    taken_at: float | None = None  # when this replica last leased for the caller
    asked: int = 0  # the caller's requests here since then
    refused_until: float = 0.0  # a lease was refused: single tokens until then
    taking: asyncio.Lock = field(default_factory=asyncio.Lock)


class SharedRateLimiter:
    """Rates that hold across replicas, kept in `schema`'s `rate_limits` table (the service's own
    migration makes it: `partner_id text PRIMARY KEY, theoretical_arrival timestamptz NOT NULL`,
    UNLOGGED). One statement per request at most, on the pool `pool()` gives: the service's
    hot-path pool, so that the limit opens no connections of its own and waits on no smaller pool
    than the requests it limits.

    The table is unlogged: its updates write no WAL, so the commit waits for no disk flush and the
    hot row is cheap to update. What that costs is after a database crash (or a failover) the
    table comes back empty, so each caller gets one fresh burst: a limit, not a ledger.

    A caller with many requests in `lease_s` takes tokens many at once and spends them here: one
    statement per lease, not per request, and one row that is not fought over by every request.
    A lease is what the caller asked of this replica over `lease_s` at its recent pace (at most
    `lease_s` of its rate and a quarter of its burst, so that other replicas find some): sized by
    the rate alone, a replica would charge a fast-rated caller for far more than it sends, and
    replicas together would fill its burst with tokens nobody spends. Tokens are charged when
    leased, so the total never exceeds the limit; a lease lapses `lease_s` after it was taken, so
    that no replica keeps old tokens for a later burst. One lease at a time per caller: requests
    that find the lease spent while another is being taken wait for that one instead of each
    taking their own. A lease refused (the caller is near its limit) is not asked for again within
    `lease_s`: single tokens, exactly the rule above, as for a slow caller, whose lease is one token."""

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
        self._leases: dict[str, _Lease] = {}

    async def retry_after(self, partner_id: str, rate: Decimal) -> int | None:
        if rate <= 0:
            return REFUSED_FOR_GOOD_S
        lease = self._leases.get(partner_id) or self._leases.setdefault(partner_id, _Lease())
        lease.asked += 1
        if self._spend(lease):
            return None
        interval = timedelta(seconds=float(1 / rate))
        window = max(interval, self._burst)
        most = min(int(rate * Decimal(self._lease_s)), int(rate * Decimal(self._burst.total_seconds()) / 4))
        if most > 1 and self._clock() >= lease.refused_until:
            async with lease.taking:
                if self._spend(lease) or await self._lease(lease, partner_id, interval, window, most):
                    return None
        row = await self._pool().fetchrow(self._take, partner_id, interval, window)
        if row["allowed"]:
            return None
        # Unknown only where another replica's first request for this caller committed after this
        # statement began: one interval is then the wait.
        wait_s = row["wait_s"] if row["wait_s"] is not None else interval.total_seconds()
        return max(1, math.ceil(wait_s))

    async def _lease(self, lease: _Lease, partner_id: str, interval: timedelta, window: timedelta, most: int) -> bool:
        """Takes a lease of more than one token and spends one, where the caller's pace asks for
        one and none was refused within `lease_s`; False leaves the request to a single token."""
        now = self._clock()
        if now < lease.refused_until:
            return False
        size = min(most, self._demand(lease, now))
        lease.taken_at, lease.asked = now, 0
        if size <= 1:
            return False
        row = await self._pool().fetchrow(self._take, partner_id, interval * size, window)
        if not row["allowed"]:
            lease.refused_until = now + self._lease_s
            return False
        lease.left, lease.lapses_at = size - 1, now + self._lease_s
        return True

    def _demand(self, lease: _Lease, now: float) -> int:
        """The tokens the caller would ask of this replica over the next `lease_s`, at the pace it
        asked since the last lease (its first lease is one token: there is no pace yet)."""
        if lease.taken_at is None:
            return 1
        return math.ceil(lease.asked * self._lease_s / max(now - lease.taken_at, 1e-3))

    def _spend(self, lease: _Lease) -> bool:
        """Takes a token of this caller's lease, if it holds one that has not lapsed."""
        if lease.left <= 0 or self._clock() >= lease.lapses_at:
            lease.left = 0
            return False
        lease.left -= 1
        return True
