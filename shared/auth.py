"""Who is calling, whether their role may do this, and whether they are within their rate.

A key is `sk_<id>_<secret>`: the id finds it, the SHA-256 of the secret is all anyone stores.
Intake issues keys and checks them against its own tables; every other service checks them against
a replica it keeps from intake's `ApiKeyIssuedV1` / `ApiKeyRevokedV1` events (`replica_table`,
`replica_handlers`, `replica_lookup`). Keys are long random tokens, so a fast hash is as safe as a
slow one here.
"""

import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Protocol, cast

from fastapi import Request, Security, params
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Column, CursorResult, DateTime, MetaData, Numeric, Table, Text, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.api_errors import ApiError
from shared.events import ApiKeyIssuedV1, ApiKeyRevokedV1
from shared.messaging.consumer import Batched, Handler
from shared.messaging.envelope import Envelope
from shared.messaging.payloads import Payload
from shared.ratelimit import Limiter

log = logging.getLogger(__name__)
# policy_admin: the commission's officials who draft, approve and withdraw policy versions (eligibility).
ROLES = ("partner", "reviewer", "finance", "admin", "policy_admin")
ANY_ROLE = ROLES


class PartnerExists(ValueError):
    """A key was asked for under a name some partner already has."""


class UnknownPartner(LookupError):
    """A key was asked for, or revoked, for a partner nobody registered."""


class KeyIssuer(Protocol):
    """Where an API key for a new holder comes from: intake, which alone issues keys. A service that
    needs keys for its own people (the console's officials) is handed one by the command that wires
    it, and never reaches into intake itself."""

    async def issue(self, name: str, role: str, requests_per_second: Decimal | None = None) -> str:
        """A new partner `name` with `role` (and its rate, or intake's default), and its key (shown
        once); PartnerExists if taken."""
        ...

    async def rotate(self, name: str) -> str:
        """A new key for partner `name`, its earlier keys revoked; UnknownPartner if there is none."""
        ...

    async def revoke(self, name: str) -> None:
        """Every key of partner `name` stops working."""
        ...


@dataclass(frozen=True, slots=True)
class Caller:
    partner_id: str
    role: str
    requests_per_second: Decimal


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """What a service knows of one key that has not been revoked."""

    secret_hash: str
    partner_id: str
    role: str
    requests_per_second: Decimal


Lookup = Callable[[str], Awaitable[KeyRecord | None]]


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class KeyRing:
    """Checks API keys, remembering good ones briefly so that a request costs no extra query.
    A revoked key therefore keeps working for at most `ttl_s` seconds on each replica."""

    def __init__(self, lookup: Lookup, ttl_s: float = 10.0):
        self._lookup, self._ttl_s = lookup, ttl_s
        self._known: dict[str, tuple[float, Caller]] = {}

    async def caller(self, key: str) -> Caller | None:
        now = time.monotonic()
        if (hit := self._known.get(key)) and hit[0] > now:
            return hit[1]
        parts = key.split("_", 2)
        if len(parts) != 3 or parts[0] != "sk":
            return None
        record = await self._lookup(parts[1])
        if record is None or not hmac.compare_digest(record.secret_hash, secret_hash(parts[2])):
            return None
        caller = Caller(record.partner_id, record.role, record.requests_per_second)
        self._known[key] = (now + self._ttl_s, caller)
        return caller


# ---- the replica a service keeps from intake's key events ----


def replica_table(metadata: MetaData) -> Table:
    return Table(
        "api_keys",
        metadata,
        Column("key_id", Text, primary_key=True),
        Column("partner_id", Text, nullable=False),
        Column("role", Text, nullable=False),
        Column("requests_per_second", Numeric(10, 2), nullable=False),
        Column("secret_hash", Text, nullable=False),
        Column("issued_at", DateTime(timezone=True), nullable=False),
        Column("revoked_at", DateTime(timezone=True)),
    )


def replica_lookup(sessions: async_sessionmaker[AsyncSession], table: Table) -> Lookup:
    async def lookup(key_id: str) -> KeyRecord | None:
        async with sessions() as session:
            row = (
                await session.execute(select(table).where(table.c.key_id == key_id, table.c.revoked_at.is_(None)))
            ).first()
        return None if row is None else KeyRecord(row.secret_hash, row.partner_id, row.role, row.requests_per_second)

    return lookup


def replica_handlers(table: Table) -> dict[type[Payload], Handler | Batched[Any]]:
    async def issued(session: AsyncSession, event: Envelope, p: ApiKeyIssuedV1) -> None:
        # The same key issued again (a re-published event) updates its attributes but never
        # brings back a key that was revoked.
        values = {
            "partner_id": p.partner_id,
            "role": p.role,
            "requests_per_second": p.requests_per_second,
            "secret_hash": p.secret_sha256,
            "issued_at": p.issued_at,
        }
        await session.execute(
            insert(table)
            .values(key_id=p.key_id, **values)
            .on_conflict_do_update(index_elements=[table.c.key_id], set_=values)
        )

    async def revoked(session: AsyncSession, event: Envelope, p: ApiKeyRevokedV1) -> None:
        # An UPDATE's result is a CursorResult (with rowcount); Session.execute's signature says only Result.
        done = cast(
            CursorResult[Any],
            await session.execute(
                update(table)
                .where(table.c.key_id == p.key_id, table.c.revoked_at.is_(None))
                .values(revoked_at=p.revoked_at)
            ),
        )
        if done.rowcount == 0:
            log.warning("revocation of key %s of %s: no such active key here", p.key_id, p.partner_id)

    return {ApiKeyIssuedV1: issued, ApiKeyRevokedV1: revoked}


# ---- FastAPI ----

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="`Authorization: Bearer sk_…`, a key issued by `subsidy partners create`.",
)


async def authorize(request: Request, *allowed: str) -> Caller:
    """The caller of this request, if its key is valid, its role allowed and its rate not exceeded.
    Routes use it through `role(...)`; a hot path calls it directly, leaving FastAPI nothing to solve.
    Needs `app.state.keys` (a KeyRing) and `app.state.limiter` (a `shared.ratelimit.Limiter`)."""
    credentials = await bearer(request)
    keys: KeyRing = request.app.state.keys
    caller = await keys.caller(credentials.credentials) if credentials else None
    if not caller:
        raise ApiError(
            401,
            "unauthorized",
            "a valid API key is required (Authorization: Bearer sk_…)",
            "需要有效的 API 密钥（Authorization: Bearer sk_…）",
            headers={"WWW-Authenticate": "Bearer"},
        )
    limiter: Limiter = request.app.state.limiter
    if wait := await limiter.retry_after(caller.partner_id, caller.requests_per_second):
        raise ApiError(
            429,
            "rate_limited",
            f"too many requests; retry after {wait} s",
            f"请求过于频繁，请 {wait} 秒后重试",
            headers={"Retry-After": str(wait)},
        )
    if caller.role not in allowed:
        raise ApiError(
            403,
            "forbidden",
            f"the {caller.role} role may not do this; needs {' or '.join(allowed)}",
            f"角色 {caller.role} 无此权限，需要 {' 或 '.join(allowed)}",
        )
    return caller


def role(*allowed: str) -> params.Depends:
    # Depending on `bearer` is what puts the security scheme in the OpenAPI document; its scopes are
    # the roles the route accepts (OpenAPI 3.1 lets a non-OAuth requirement list role names), which
    # is how a client, and the contract fuzzer, knows which key to use.
    async def check(
        request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Security(bearer, scopes=list(allowed))]
    ) -> Caller:
        return await authorize(request, *allowed)

    return params.Depends(check)


AnyCaller = Annotated[Caller, role(*ANY_ROLE)]
