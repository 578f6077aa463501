"""One async engine per service process, every table in the service's own schema."""

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import (
    ARRAY,
    JSON,
    BigInteger,
    Column,
    ColumnElement,
    DateTime,
    Identity,
    Index,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    any_,
    bindparam,
    cast,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.sql.dml import Insert

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


class BulkInsert:
    """`INSERT … SELECT unnest(:a), unnest(:b), …`: any number of rows in one statement, each column
    bound as one array. Its SQL does not depend on the number of rows, so it is compiled and
    prepared once, where an executemany runs one statement per row.

        rows = BulkInsert(table, ["id", "body"])
        await session.execute(rows.statement, rows.values([{"id": …, "body": …}, …]))
    """

    def __init__(self, table: Table, columns: Sequence[str]):
        self.columns = tuple(columns)
        # JSON values go as text and are cast back: an array of lists would read as more dimensions.
        self._json = {c for c in columns if isinstance(table.c[c].type, JSON)}
        self._null = {c: bool(getattr(table.c[c].type, "none_as_null", False)) for c in self._json}
        arrays = [
            cast(func.unnest(bindparam(c, type_=ARRAY(Text))), table.c[c].type)
            if c in self._json
            else func.unnest(bindparam(c, type_=ARRAY(table.c[c].type)))
            for c in columns
        ]
        self.statement: Insert = insert(table).from_select(list(columns), select(*arrays))

    def values(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
        return {
            c: [self._encode(c, r[c]) for r in rows] if c in self._json else [r[c] for r in rows] for c in self.columns
        }

    def _encode(self, column: str, value: Any) -> str | None:
        # As the column's type would: None is SQL NULL where it says so (`none_as_null`), JSON null elsewhere.
        return None if value is None and self._null[column] else _json(value)


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Inserts the rows (dicts with the same keys) in one statement (`BulkInsert`)."""
    if rows:
        statement = bulk_insert(table, tuple(rows[0]))
        await session.execute(statement.statement, statement.values(rows))


@functools.cache
def bulk_insert(table: Table, columns: tuple[str, ...]) -> BulkInsert:
    """The `BulkInsert` of these columns, built once."""
    return BulkInsert(table, columns)


def any_of(column: ColumnElement[Any], values: Iterable[Any]) -> ColumnElement[bool]:
    """`column = ANY(:values)`: one array bound, so that the SQL is the same however many values
    there are (an IN list is a new statement, prepared anew, for every length)."""
    return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))


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
