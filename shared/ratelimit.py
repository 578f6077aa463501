"""Per-caller token buckets. Each service replica keeps its own, so a partner's allowance is
per replica; that keeps the hot path free of shared state."""

import math
import time
from collections.abc import Callable
from decimal import Decimal


class RateLimiter:
    def __init__(self, burst_seconds: float = 2.0, clock: Callable[[], float] = time.monotonic):
        self._buckets: dict[str, tuple[float, float]] = {}  # partner → (tokens, updated at)
        self._burst_seconds, self._clock = burst_seconds, clock

    def retry_after(self, partner_id: str, rate: Decimal) -> int | None:
        """None when the request may go ahead; otherwise the whole seconds to wait."""
        rate_f = float(rate)
        capacity = max(1.0, rate_f * self._burst_seconds)
        now = self._clock()
        tokens, updated = self._buckets.get(partner_id, (capacity, now))
        tokens = min(capacity, tokens + (now - updated) * rate_f)
        if tokens >= 1:
            self._buckets[partner_id] = (tokens - 1, now)
            return None
        self._buckets[partner_id] = (tokens, now)
        return max(1, math.ceil((1 - tokens) / rate_f)) if rate_f > 0 else 60
