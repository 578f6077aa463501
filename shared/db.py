"""One async engine per service process, every table in the service's own schema."""

import orjson
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
}


def service_metadata(schema: str) -> MetaData:
    """A service's tables; the outbox and inbox every service needs come with it."""
    metadata = MetaData(schema=schema, naming_convention=NAMING)
    Table(
        "outbox",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("topic", Text, nullable=False),
        Column("key", Text, nullable=False),
        Column("headers", JSONB, nullable=False),
        Column("value", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        Index("ix_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
    )
    Table(
        "inbox",
        metadata,
        Column("consumer", Text, nullable=False),
        Column("event_id", Text, nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("consumer", "event_id"),
        # The pruner walks the oldest rows first (shared/retention.py).
        Index("ix_inbox_processed_at", "processed_at"),
    )
    return metadata


def create_engine(url: str, schema: str, pool_size: int = 10, statement_timeout_s: float = 30) -> AsyncEngine:
    # No pre-ping: it costs round trips on every checkout. A connection found dead raises a
    # disconnect error, which invalidates the pool; consumers retry, HTTP callers retry safely.
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        # Bound values are applicants' data and secrets: they must not reach error messages and logs.
        hide_parameters=True,
        # JSONB values (outbox headers, events' details) are encoded on the hot paths.
        json_serializer=_json,
        json_deserializer=orjson.loads,
        connect_args={
            "server_settings": connection_settings(schema, statement_timeout_s),
            # A connection cut in the middle of a restart can leave the client waiting for
            # an answer that never comes: every statement ends within the timeout.
            "command_timeout": statement_timeout_s,
        },
    )


def _json(value: object) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def connection_settings(schema: str, statement_timeout_s: float) -> dict[str, str]:
    """What each service connection sets on the server: its schema, its name in pg_stat_activity,
    and bounds so that a stuck statement or an abandoned transaction cannot hold locks for ever."""
    return {
        "search_path": str(schema),
        "application_name": str(schema),
        "statement_timeout": str(int(statement_timeout_s * 1000)),
        "idle_in_transaction_session_timeout": str(int(statement_timeout_s * 2000)),
    }


def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
