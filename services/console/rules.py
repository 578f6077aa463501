"""The console's security rules, with no I/O: when a session has expired, whether a form's CSRF
token matches, and how long a client must wait after too many failed sign-ins."""

import hashlib
import hmac
import math
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


def new_token() -> str:
    """256 random bits, URL-safe: a session's cookie, or a CSRF token."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored of a session token: a leaked table cannot be turned back into cookies."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_matches(expected: str | None, given: str | None) -> bool:
    """A form's token against the session's, in constant time; a missing one never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


@dataclass(frozen=True)
class Expiry:
    idle: timedelta  # without a request
    absolute: timedelta  # since sign-in, however active

    def expired(self, created_at: datetime, last_seen_at: datetime, now: datetime) -> bool:
        return now - last_seen_at >= self.idle or now - created_at >= self.absolute

    def ends_at(self, created_at: datetime, last_seen_at: datetime) -> datetime:
        return min(last_seen_at + self.idle, created_at + self.absolute)


@dataclass(frozen=True)
class SignInLimit:
    """At most `failures` failed sign-ins within `window`; past that, wait until the oldest of the
    last `failures` leaves the window."""

    failures: int
    window: timedelta

    def retry_after(self, failed_at: Iterable[datetime], now: datetime) -> int | None:
        """None while another attempt is allowed; otherwise the whole seconds to wait (≥ 1)."""
        recent = sorted(t for t in failed_at if now - t < self.window)
        if len(recent) < self.failures:
            return None
        frees_at = recent[len(recent) - self.failures] + self.window
        return max(1, math.ceil((frees_at - now).total_seconds()))
