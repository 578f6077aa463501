"""Partners and their API keys. A key is `sk_<id>_<secret>`: the id finds it, the secret's SHA-256
is all that is stored (see shared/auth.py). Every key issued or revoked is also announced through
the outbox (`ApiKeyIssuedV1` / `ApiKeyRevokedV1`, with the hash, never the key), so that the other
services keep replicas to check keys against."""

import secrets
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.intake.tables import api_keys, partners
from shared.auth import ROLES, KeyRecord, KeyRing, UnknownPartner, secret_hash
from shared.bootstrap import Wiring
from shared.events import ApiKeyIssuedV1, ApiKeyRevokedV1
from shared.messaging.outbox import Publisher
from shared.messaging.payloads import Payload

DEFAULT_RATE = Decimal(50)
__all__ = ["ROLES", "KeyRing", "UnknownPartner", "create", "key_lookup", "revoke", "rotate"]


async def _announce(session, publisher: Publisher, partner_id: str, subject: str, payload: Payload) -> None:
    """Owed to the other services' key replicas; the running intake's relay publishes it."""
    await publisher.publish(session, publisher.event(payload, key=partner_id, subject=subject))


async def _issue_key(session, publisher: Publisher, partner_id: str) -> str:
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    digest = secret_hash(secret)
    partner = (
        await session.execute(
            select(partners.c.role, partners.c.requests_per_second).where(partners.c.id == partner_id)
        )
    ).one()
    await session.execute(insert(api_keys).values(id=key_id, partner_id=partner_id, secret_hash=digest))
    await _announce(
        session,
        publisher,
        partner_id,
        key_id,
        ApiKeyIssuedV1(
            key_id=key_id,
            partner_id=partner_id,
            role=partner.role,
            requests_per_second=partner.requests_per_second,
            secret_sha256=digest,
            issued_at=datetime.now(UTC),
        ),
    )
    return f"sk_{key_id}_{secret}"


async def create(wiring: Wiring, name: str, role: str = "partner", requests_per_second: Decimal = DEFAULT_RATE) -> str:
    """Registers a partner and returns its first key, which is never shown again."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    async with wiring.sessions.begin() as session:
        await session.execute(insert(partners).values(id=name, role=role, requests_per_second=requests_per_second))
        return await _issue_key(session, wiring.publisher, name)


async def rotate(wiring: Wiring, name: str) -> str:
    """A new key for the partner; its earlier keys stop working."""
    async with wiring.sessions.begin() as session:
        if not (await session.execute(select(partners.c.id).where(partners.c.id == name))).first():
            raise UnknownPartner(name)
        await _revoke(session, wiring.publisher, name)
        return await _issue_key(session, wiring.publisher, name)


async def revoke(wiring: Wiring, name: str) -> int:
    async with wiring.sessions.begin() as session:
        return await _revoke(session, wiring.publisher, name)


async def _revoke(session, publisher: Publisher, name: str) -> int:
    now = datetime.now(UTC)
    revoked = (
        (
            await session.execute(
                update(api_keys)
                .where(api_keys.c.partner_id == name, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=now)
                .returning(api_keys.c.id)
            )
        )
        .scalars()
        .all()
    )
    for key_id in sorted(revoked):
        await _announce(
            session, publisher, name, key_id, ApiKeyRevokedV1(key_id=key_id, partner_id=name, revoked_at=now)
        )
    return len(revoked)


async def publish_keys(wiring: Wiring) -> int:
    """Announce every active key again (for replicas started after the keys were issued); replicas
    take a repeat as the same key. Returns how many were announced."""
    async with wiring.sessions.begin() as session:
        rows = (
            await session.execute(
                select(
                    api_keys.c.id,
                    api_keys.c.secret_hash,
                    api_keys.c.created_at,
                    partners.c.id.label("partner_id"),
                    partners.c.role,
                    partners.c.requests_per_second,
                )
                .join(partners)
                .where(api_keys.c.revoked_at.is_(None))
                .order_by(api_keys.c.id)
            )
        ).all()
        for r in rows:
            await _announce(
                session,
                wiring.publisher,
                r.partner_id,
                r.id,
                ApiKeyIssuedV1(
                    key_id=r.id,
                    partner_id=r.partner_id,
                    role=r.role,
                    requests_per_second=r.requests_per_second,
                    secret_sha256=r.secret_hash,
                    issued_at=r.created_at,
                ),
            )
    return len(rows)


def key_lookup(sessions: async_sessionmaker):
    """Intake checks keys against its own tables, the source of every replica."""

    async def lookup(key_id: str) -> KeyRecord | None:
        async with sessions() as session:
            row = (
                await session.execute(
                    select(api_keys.c.secret_hash, partners.c.id, partners.c.role, partners.c.requests_per_second)
                    .join(partners)
                    .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                )
            ).first()
        return row and KeyRecord(row.secret_hash, row.id, row.role, row.requests_per_second)

    return lookup
