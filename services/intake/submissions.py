"""Accepting an application: stored and its event owed atomically, once per idempotency key.

This is intake's hot path, so it writes with one prepared statement on a plain asyncpg pool:
one round trip, no explicit transaction, no ORM. `make bench` measures it.
"""

import hashlib
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson

from services.intake.tables import SCHEMA
from shared import db
from shared.events import ApplicationSubmittedV1, PayeeDetails, PayeeProvidedV1
from shared.policy import Application
from shared.service import Runtime

# The partner's idempotency key is the origin of the application id: one key, one application.
_APPLICATION_IDS = uuid.UUID("6f1c2b7e-3d4a-5b8c-9e0f-a1b2c3d4e5f6")

# The application and the outbox row owing its event are written together or not at all, and a
# key seen before writes neither (a single statement is atomic on its own).
_ACCEPT = f"""
    WITH accepted AS (
        INSERT INTO {SCHEMA}.applications (id, partner_id, idempotency_key, request_hash, credit_code,
                                           clause, occurred_on, body, status, stage, submitted_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, 'submitted', 0, $9)
        ON CONFLICT DO NOTHING RETURNING id)
    INSERT INTO {SCHEMA}.outbox (topic, key, headers, value)
    SELECT $10, $11, $12::jsonb, $13 FROM accepted
    RETURNING id"""
# The same, owing also the bank details the application carries (for payout).
_ACCEPT_WITH_PAYEE = f"""
    WITH accepted AS (
        INSERT INTO {SCHEMA}.applications (id, partner_id, idempotency_key, request_hash, credit_code,
                                           clause, occurred_on, body, status, stage, submitted_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, 'submitted', 0, $9)
        ON CONFLICT DO NOTHING RETURNING id)
    INSERT INTO {SCHEMA}.outbox (topic, key, headers, value)
    SELECT owed.* FROM accepted, (VALUES ($10::text, $11::text, $12::jsonb, $13::bytea),
                                         ($14::text, $15::text, $16::jsonb, $17::bytea)) AS owed
    RETURNING id"""
_EARLIER = f"SELECT request_hash FROM {SCHEMA}.applications WHERE id = $1"


async def _keep(connection: asyncpg.Connection) -> None:
    """Nothing to reset between uses: the hot path leaves no session state behind, and asyncpg's
    default reset would cost a round trip per request."""


class IdempotencyConflict(Exception):
    """The idempotency key was already used for a different body."""


@dataclass(frozen=True)
class Accepted:
    application_id: uuid.UUID
    replayed: bool


def _headers(event) -> str:
    return orjson.dumps([[k, v.decode()] for k, v in event.headers()]).decode()


def payee_provided(application_id: uuid.UUID, application: Application, at: datetime) -> PayeeProvidedV1:
    """What payout is told of the bank account an application's subsidy goes to (in full: payout
    alone reads this topic)."""
    payee = application.payee
    return PayeeProvidedV1(
        application_id=application_id,
        credit_code=application.applicant.credit_code,
        applicant_name=application.applicant.name,
        provided_at=at,
        payee=PayeeDetails(account_name=payee.account_name, account_number=payee.account_number, bank=payee.bank),
    )


def application_id(partner_id: str, idempotency_key: str) -> uuid.UUID:
    return uuid.uuid5(_APPLICATION_IDS, f"{partner_id}\n{idempotency_key}")


class Submissions:
    def __init__(self, runtime: Runtime, pool_size: int = 20):
        self._runtime, self._pool_size = runtime, pool_size
        self._pool: asyncpg.Pool | None = None
        runtime.resources.append(self.open)

    @asynccontextmanager
    async def open(self):
        dsn = self._runtime.settings.database_url.get_secret_value().replace("+asyncpg", "")
        timeout_s = self._runtime.settings.database_statement_timeout_s
        async with asyncpg.create_pool(
            dsn,
            min_size=2,
            max_size=self._pool_size,
            reset=_keep,
            command_timeout=timeout_s,
            server_settings=db.connection_settings(SCHEMA, timeout_s),
        ) as self._pool:
            yield

    async def submit(
        self, partner_id: str, idempotency_key: str, document: dict[str, Any], application: Application
    ) -> Accepted:
        app_id = application_id(partner_id, idempotency_key)
        body = orjson.dumps(document).decode()
        # Same JSON with keys in another order or other spacing is the same request.
        request_hash = hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()
        now = datetime.now(UTC)
        credit_code = application.applicant.credit_code
        event = self._runtime.event(
            ApplicationSubmittedV1(
                application_id=app_id, partner_id=partner_id, submitted_at=now, application=document
            ),
            key=credit_code,
            subject=str(app_id),
        )
        owed = [ApplicationSubmittedV1.topic, event.key, _headers(event), event.data]
        if application.payee is not None:
            payee = self._runtime.event(payee_provided(app_id, application, now), key=credit_code, subject=str(app_id))
            owed += [PayeeProvidedV1.topic, payee.key, _headers(payee), payee.data]
        async with self._pool.acquire() as conn:
            written = await conn.fetchval(
                _ACCEPT_WITH_PAYEE if application.payee is not None else _ACCEPT,
                app_id,
                partner_id,
                idempotency_key,
                request_hash,
                credit_code,
                application.clause,
                application.occurred_on,
                body,
                now,
                *owed,
            )
            if written is None:
                if await conn.fetchval(_EARLIER, app_id) != request_hash:
                    raise IdempotencyConflict(idempotency_key)
                return Accepted(app_id, replayed=True)
        self._runtime.relay.wake()
        return Accepted(app_id, replayed=False)
