"""Server-side sessions and the sign-in limits, kept in the console's tables (so every replica of
the console, and a restarted one, agrees on them)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.console.rules import Expiry, SignInLimit, new_token, token_hash
from services.console.tables import accounts, sessions, signin_failures
from shared.retention import Rule

TOUCH_EVERY = timedelta(seconds=30)  # last_seen_at is written at most this often per session


@dataclass(frozen=True)
class Signed:
    """Who a valid session belongs to."""

    account: str
    role: str
    csrf_token: str
    api_key_sealed: str
    token_hash: str


async def start(db: async_sessionmaker, account: str) -> tuple[str, str]:
    """A new session (never a reused one): returns its cookie token and its CSRF token."""
    token, csrf, now = new_token(), new_token(), datetime.now(UTC)
    async with db.begin() as session:
        await session.execute(
            insert(sessions).values(
                token_hash=token_hash(token), account=account, csrf_token=csrf, created_at=now, last_seen_at=now
            )
        )
    return token, csrf


async def find(db: async_sessionmaker, token: str, expiry: Expiry) -> Signed | None:
    """The session of this cookie token if it is valid now (and its account not revoked); its
    idle clock starts again. An expired session is deleted."""
    if not token or len(token) > 100:
        return None
    digest, now = token_hash(token), datetime.now(UTC)
    async with db() as session:
        row = (
            await session.execute(
                select(sessions, accounts.c.role, accounts.c.api_key_sealed, accounts.c.revoked_at)
                .join(accounts, accounts.c.name == sessions.c.account)
                .where(sessions.c.token_hash == digest)
            )
        ).first()
    if row is None:
        return None
    if row.revoked_at is not None or expiry.expired(row.created_at, row.last_seen_at, now):
        await end(db, token)
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        async with db.begin() as session:
            await session.execute(update(sessions).where(sessions.c.token_hash == digest).values(last_seen_at=now))
    return Signed(row.account, row.role, row.csrf_token, row.api_key_sealed, digest)


async def end(db: async_sessionmaker, token: str) -> None:
    async with db.begin() as session:
        await session.execute(delete(sessions).where(sessions.c.token_hash == token_hash(token)))


def retention(expiry: Expiry, window: timedelta) -> list[Rule]:
    """Expired sessions, and sign-in failures older than the window, for the console's pruner
    (shared/retention.py). An expired session is refused whether or not it has been deleted yet:
    this only keeps the tables small."""

    def expired(now: datetime) -> ColumnElement[bool]:
        return or_(sessions.c.last_seen_at <= now - expiry.idle, sessions.c.created_at <= now - expiry.absolute)

    return [
        Rule(sessions, sessions.c.token_hash, expired),
        Rule(signin_failures, signin_failures.c.id, lambda now: signin_failures.c.at <= now - window),
    ]


# ---- failed sign-ins ----


@dataclass(frozen=True)
class Limits:
    per_account: SignInLimit
    per_address: SignInLimit


async def wait_needed(db: async_sessionmaker, limits: Limits, account: str, address: str) -> int | None:
    """Seconds the client must wait before another sign-in for this account or from this address."""
    now = datetime.now(UTC)
    f = signin_failures.c
    async with db() as session:
        by_account = (
            (
                await session.execute(
                    select(f.at)
                    .where(f.account == account, f.cleared.is_(False), f.at > now - limits.per_account.window)
                    .order_by(f.at.desc())
                    .limit(limits.per_account.failures)
                )
            )
            .scalars()
            .all()
        )
        by_address = (
            (
                await session.execute(
                    select(f.at)
                    .where(f.address == address, f.at > now - limits.per_address.window)
                    .order_by(f.at.desc())
                    .limit(limits.per_address.failures)
                )
            )
            .scalars()
            .all()
        )
    waits = [
        w
        for w in (limits.per_account.retry_after(by_account, now), limits.per_address.retry_after(by_address, now))
        if w
    ]
    return max(waits) if waits else None


async def failed(db: async_sessionmaker, account: str, address: str) -> None:
    async with db.begin() as session:
        await session.execute(insert(signin_failures).values(account=account[:100], address=address, at=func.now()))


async def succeeded(db: async_sessionmaker, account: str) -> None:
    """The account's earlier failures stop counting against it (they still count for the address)."""
    async with db.begin() as session:
        await session.execute(update(signin_failures).where(signin_failures.c.account == account).values(cleared=True))
