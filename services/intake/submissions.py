"""Accepting an application: stored and its event owed atomically, once per idempotency key.

This is intake's hot path, so it writes with one prepared statement on a plain asyncpg pool:
one round trip, no explicit transaction, no ORM. `make bench` measures it. The outbox rows are the
publisher's own (`outbox.row`); only the statement that stores them with the application is here.
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
from shared.bootstrap import Wiring
from shared.events import ApplicationSubmittedV1, PayeeDetails, PayeeProvidedV2
from shared.messaging import outbox
from shared.messaging.envelope import Envelope
from shared.payee import Payee
from shared.policy.application import ApplicationBase

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


def _owed(event: Envelope) -> list:
    """The values of the outbox row owing `event`, as the publisher makes it, for the statement
    that stores the application."""
    row = outbox.row(event)
    return [row["topic"], row["key"], orjson.dumps(row["headers"]).decode(), row["value"]]


def payee_provided(
    application_id: uuid.UUID, application: ApplicationBase, payee: Payee, at: datetime, by: str, role: str
) -> PayeeProvidedV2:
    """What payout is told of the bank account an application's subsidy goes to (in full: payout
    alone reads this topic), and who gave it (`by`, a partner or an admin's account, in `role`)."""
    return PayeeProvidedV2(
        application_id=application_id,
        credit_code=application.applicant.credit_code,
        applicant_name=application.applicant.name,
        provided_at=at,
        provided_by=by,
        provided_by_role="admin" if role == "admin" else "partner",
        payee=PayeeDetails(account_name=payee.account_name, account_number=payee.account_number, bank=payee.bank),
    )


def application_id(partner_id: str, idempotency_key: str) -> uuid.UUID:
    return uuid.uuid5(_APPLICATION_IDS, f"{partner_id}\n{idempotency_key}")


class Submissions:
    """Held open by the service's runtime (`open`), which gives it its own pool."""

    def __init__(self, wiring: Wiring, pool_size: int = 20):
        self._settings, self._publisher, self._pool_size = wiring.settings, wiring.publisher, pool_size
        self._pool: asyncpg.Pool | None = None

    @asynccontextmanager
    async def open(self):
        dsn = self._settings.sqlalchemy_url.replace("+asyncpg", "")
        timeout_s = self._settings.database_statement_timeout_s
        async with asyncpg.create_pool(
            dsn,
            min_size=2,
            max_size=self._pool_size,
            reset=_keep,
            command_timeout=timeout_s,
            server_settings=db.connection_settings(SCHEMA, timeout_s),
        ) as self._pool:
            yield

    def pool(self) -> asyncpg.Pool:
        """The hot path's pool, which the rate limit shares (`shared/ratelimit.py`)."""
        if self._pool is None:
            raise RuntimeError("submissions are taken only while held open (`open`)")
        return self._pool

    async def submit(
        self, partner_id: str, idempotency_key: str, document: dict[str, Any], application: ApplicationBase
    ) -> Accepted:
        app_id = application_id(partner_id, idempotency_key)
        body = orjson.dumps(document).decode()
        # Same JSON with keys in another order or other spacing is the same request.
        request_hash = hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()
        now = datetime.now(UTC)
        credit_code = application.applicant.credit_code
        event = self._publisher.event(
            ApplicationSubmittedV1(
                application_id=app_id, partner_id=partner_id, submitted_at=now, application=document
            ),
            key=credit_code,
            subject=str(app_id),
        )
        owed = _owed(event)
        if application.payee is not None:
            payee = payee_provided(app_id, application, application.payee, now, partner_id, "partner")
            owed += _owed(self._publisher.event(payee, key=credit_code, subject=str(app_id)))
        if self._pool is None:
            raise RuntimeError("submissions are taken only while held open (`open`)")
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
        self._publisher.written()
        return Accepted(app_id, replayed=False)
