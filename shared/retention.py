"""Bounded tables: what a service keeps only for a while, deleted by one background loop per
process, and the size of every table of its schema, for the metrics.

A rule names a table, the rows of it that may go at a given time, and the column whose index
walks its oldest rows first. Each pass deletes them `batch` rows at a time, every slice its own
short transaction that skips rows another transaction holds and gives up rather than wait for a
table lock, with a pause between slices: the hot path never waits on the pruner for longer than
one slice. One replica prunes a schema at a time: each slice takes a transaction-level advisory
lock, and a pass that finds it taken ends there (another replica is pruning).

Why an inbox keeps an event longer than an outbox: a consumer's inbox row is what makes a
redelivered event do nothing, so it may go only once that event can no longer arrive again. An
event can arrive again while its outbox row exists (a fresh broker is given every event the
outboxes still hold, `republish_outboxes`) and while the broker keeps it (a topic's retention).
An inbox row is written after its event's outbox row, so an inbox that keeps rows at least as
long as the outboxes and the topics do always remembers what can still be redelivered. The
settings refuse an inbox retention shorter than the outbox's; the topics' retention (7 days in
deploy/k8s) is the operator's to keep below it.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, MetaData, Table, and_, delete, func, select, text, tuple_
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.observability import ROWS_PRUNED, TABLE_BYTES, TABLE_ROWS
from shared.settings import Settings

log = logging.getLogger(__name__)
LOCK_NOT_AVAILABLE = "55P03"  # the slice's lock_timeout ran out

Expired = Callable[[datetime], ColumnElement[bool]]


@dataclass(frozen=True)
class Rule:
    """The rows of `table` that may go at a time (`expired(now)`), oldest first by `order`."""

    table: Table
    order: ColumnElement[object]
    expired: Expired


def older_than(column: ColumnElement[datetime], retention: timedelta, *also: ColumnElement[bool]) -> Expired:
    """Rows whose `column` is older than the retention, and that meet every other condition given."""
    return lambda now: and_(column < now - retention, *also)


def messaging_rules(metadata: MetaData, settings: Settings) -> list[Rule]:
    """The inbox and outbox every service has (shared/db.py): events handled longer ago than the
    inbox's retention, and events published longer ago than the outbox's. An unpublished event
    stays however old it is."""
    schema = metadata.schema
    inbox, outbox = metadata.tables[f"{schema}.inbox"], metadata.tables[f"{schema}.outbox"]
    return [
        Rule(
            inbox,
            inbox.c.processed_at,
            older_than(inbox.c.processed_at, timedelta(days=settings.inbox_retention_days)),
        ),
        Rule(
            outbox,
            outbox.c.id,  # ids follow creation closely enough: the oldest rows come first
            older_than(
                outbox.c.created_at, timedelta(days=settings.outbox_retention_days), outbox.c.published_at.is_not(None)
            ),
        ),
    ]


def pruning_lock(schema: str) -> int:
    return zlib.crc32(f"retention:{schema}".encode())


class Pruner:
    """Deletes what the rules let go and measures the schema's tables, every `interval_s`."""

    def __init__(
        self,
        engine: AsyncEngine,
        schema: str,
        rules: Sequence[Rule],
        *,
        interval_s: float,
        batch: int = 1000,
        pause_s: float = 0.1,
        lock_timeout_ms: int = 1000,
    ):
        self._engine, self._schema, self._rules = engine, schema, list(rules)
        self._interval_s, self._batch, self._pause_s = interval_s, batch, pause_s
        self._lock_timeout_ms, self._lock = lock_timeout_ms, pruning_lock(schema)
        for rule in self._rules:
            ROWS_PRUNED.labels(schema, rule.table.name)  # exists from zero

    async def run(self) -> None:
        """Prunes and measures until cancelled; a failure ends it (its keeper restarts it)."""
        while True:
            await self.prune()
            await self.measure()
            await asyncio.sleep(self._interval_s)

    async def prune(self) -> dict[str, int]:
        """One pass over the rules: rows deleted per table (none where another replica was pruning)."""
        pruned: dict[str, int] = {}
        for rule in self._rules:
            pruned[rule.table.name] = 0
            while True:
                try:
                    deleted = await self._slice(rule)
                except DBAPIError as error:
                    if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                        raise
                    # A migration or a maintenance command holds the table: not a failure, and
                    # nothing to wait for; the next tick tries again.
                    log.info("%s.%s is locked; pruned on a later tick", self._schema, rule.table.name)
                    break
                if deleted is None:  # another replica holds the lock: it prunes, this one rests
                    return pruned
                pruned[rule.table.name] += deleted
                if deleted:
                    ROWS_PRUNED.labels(self._schema, rule.table.name).inc(deleted)
                if deleted < self._batch:
                    break
                await asyncio.sleep(self._pause_s)
        if any(pruned.values()):
            log.info("pruned %s", ", ".join(f"{n} from {table}" for table, n in pruned.items() if n))
        return pruned

    async def _slice(self, rule: Rule) -> int | None:
        t = rule.table
        now = datetime.now(UTC)
        key = tuple_(*t.primary_key.columns)
        oldest = (
            select(*t.primary_key.columns)
            .where(rule.expired(now))
            .order_by(rule.order)
            .limit(self._batch)
            .with_for_update(skip_locked=True)
        )
        async with self._engine.begin() as conn:
            if not (await conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": self._lock})).scalar():
                return None
            await conn.execute(text(f"SET LOCAL lock_timeout = {int(self._lock_timeout_ms)}"))
            # The condition again: a row changed since the subquery read it is judged as it is now.
            return (await conn.execute(delete(t).where(key.in_(oldest), rule.expired(now)))).rowcount

    async def measure(self) -> dict[str, tuple[int, int]]:
        """(rows, bytes) of each table of the schema, set on the gauges. Rows are the planner's
        estimate (kept by autovacuum), counted instead where the table was never analysed."""
        async with self._engine.connect() as conn:
            sizes = {
                name: (await _rows(conn, self._schema, name) if estimate < 0 else int(estimate), int(size))
                for name, estimate, size in (await conn.execute(_SIZES, {"schema": self._schema})).all()
            }
        for name, (rows, size) in sizes.items():
            TABLE_ROWS.labels(self._schema, name).set(rows)
            TABLE_BYTES.labels(self._schema, name).set(size)
        return sizes


_SIZES = text(
    "SELECT c.relname, c.reltuples, pg_total_relation_size(c.oid) FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :schema AND c.relkind IN ('r', 'p')"
)


async def _rows(conn: AsyncConnection, schema: str, table: str) -> int:
    counted = select(func.count()).select_from(Table(table, MetaData(), schema=schema))
    return int((await conn.execute(counted)).scalar_one())
