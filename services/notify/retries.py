"""When to try a delivery again, and what a partner's answer means. Pure: no I/O, no clock but
the one given.

The schedule (after the first attempt): 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h,
12 h, 16 h, 24 h — thirteen attempts over about 2.8 days, each delay spread by ±20 % jitter so that
deliveries failed together by one outage do not all come back at once.

- 2xx: taken.
- 410 Gone: the partner has retired the endpoint; it is disabled (no further deliveries to it)
  until the partner registers a webhook again.
- 429 Too Many Requests and 503 Service Unavailable: retried no sooner than their `Retry-After`
  (delta-seconds or an HTTP date), capped at a day; without one, on the schedule.
- anything else (other statuses, timeouts, refused connections, redirects, which are never
  followed): retried on the schedule.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum

SCHEDULE_S: tuple[float, ...] = (5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 43200, 57600, 86400)
JITTER = 0.2
MAX_RETRY_AFTER_S = 86400.0


class Verdict(Enum):
    DELIVERED = "delivered"
    RETRY = "retry"
    GONE = "gone"  # 410: disable the endpoint


@dataclass(frozen=True)
class Schedule:
    delays_s: tuple[float, ...] = SCHEDULE_S
    jitter: float = JITTER

    @property
    def max_attempts(self) -> int:
        return len(self.delays_s) + 1

    def delay(self, attempts: int, rng: random.Random | None = None) -> float | None:
        """Seconds to wait after the `attempts`-th attempt failed; None once the schedule is spent."""
        if attempts > len(self.delays_s):
            return None
        base = self.delays_s[attempts - 1]
        spread = base * self.jitter
        return max(0.0, (rng or random).uniform(base - spread, base + spread))


def verdict(status_code: int) -> Verdict:
    if 200 <= status_code < 300:
        return Verdict.DELIVERED
    if status_code == 410:
        return Verdict.GONE
    return Verdict.RETRY


def retry_after(status_code: int, header: str | None, now: datetime) -> float | None:
    """Seconds the partner asked us to wait (429 and 503 only), capped; None if it did not say."""
    if status_code not in (429, 503) or not header:
        return None
    header = header.strip()
    if header.isdigit():
        seconds = float(header)
    else:
        try:
            when = parsedate_to_datetime(header)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def next_delay(
    schedule: Schedule,
    attempts: int,
    status_code: int | None,
    retry_after_header: str | None,
    now: datetime,
    rng: random.Random | None = None,
) -> float | None:
    """How long to wait before the next attempt after a failed one; None when the schedule is spent.
    A `Retry-After` pushes the next attempt later than the schedule would, never earlier."""
    scheduled = schedule.delay(attempts, rng)
    if scheduled is None:
        return None
    asked = retry_after(status_code, retry_after_header, now) if status_code else None
    return max(scheduled, asked) if asked is not None else scheduled
