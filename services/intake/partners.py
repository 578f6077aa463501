"""Partners and their API keys. A key is `sk_<id>_<secret>`: the id finds it, the secret's SHA-256
is all that is stored. Keys are long random tokens, so a fast hash is as safe as a slow one here."""

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.intake.tables import api_keys, partners

ROLES = ("partner", "reviewer", "finance", "admin")
DEFAULT_RATE = Decimal(50)


@dataclass(frozen=True, slots=True)
class Caller:
    partner_id: str
    role: str
    requests_per_second: Decimal


class UnknownPartner(LookupError):
    pass


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def _issue_key(session, partner_id: str) -> str:
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    await session.execute(insert(api_keys).values(id=key_id, partner_id=partner_id, secret_hash=_hash(secret)))
    return f"sk_{key_id}_{secret}"


async def create(sessions: async_sessionmaker, name: str, role: str = "partner",
                 requests_per_second: Decimal = DEFAULT_RATE) -> str:
    """Registers a partner and returns its first key, which is never shown again."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    async with sessions.begin() as session:
        await session.execute(insert(partners).values(id=name, role=role, requests_per_second=requests_per_second))
        return await _issue_key(session, name)


async def rotate(sessions: async_sessionmaker, name: str) -> str:
    """A new key for the partner; its earlier keys stop working."""
    async with sessions.begin() as session:
        if not (await session.execute(select(partners.c.id).where(partners.c.id == name))).first():
            raise UnknownPartner(name)
        await _revoke(session, name)
        return await _issue_key(session, name)


async def revoke(sessions: async_sessionmaker, name: str) -> int:
    async with sessions.begin() as session:
        return await _revoke(session, name)


async def _revoke(session, name: str) -> int:
    result = await session.execute(update(api_keys).where(
        api_keys.c.partner_id == name, api_keys.c.revoked_at.is_(None)).values(revoked_at=func.now()))
    return result.rowcount


class KeyRing:
    """Checks API keys, remembering good ones briefly so that a request costs no extra query.
    A revoked key therefore keeps working for at most `ttl_s` seconds on each intake replica."""

    def __init__(self, sessions: async_sessionmaker, ttl_s: float = 10.0):
        self._sessions, self._ttl_s = sessions, ttl_s
        self._known: dict[str, tuple[float, Caller]] = {}

    async def caller(self, key: str) -> Caller | None:
        now = time.monotonic()
        if (hit := self._known.get(key)) and hit[0] > now:
            return hit[1]
        parts = key.split("_", 2)
        if len(parts) != 3 or parts[0] != "sk":
            return None
        async with self._sessions() as session:
            row = (await session.execute(
                select(api_keys.c.secret_hash, partners.c.id, partners.c.role, partners.c.requests_per_second)
                .join(partners).where(api_keys.c.id == parts[1], api_keys.c.revoked_at.is_(None)))).first()
        if row is None or not hmac.compare_digest(row.secret_hash, _hash(parts[2])):
            return None
        caller = Caller(row.id, row.role, row.requests_per_second)
        self._known[key] = (now + self._ttl_s, caller)
        return caller
