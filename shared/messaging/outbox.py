"""Transactional outbox: events are written with the state change, then relayed to Kafka.

A transaction owes events (`Publisher.publish`); they are written to its outbox in one statement as it
commits, so they exist if and only if the state change does. The relay publishes unpublished
rows in id order and marks them after the broker acknowledged them; a crash in between
publishes them again, which inboxes absorb.

Only one relay publishes a schema's outbox at a time, which is what keeps one key's events in
commit order: each publishing transaction first takes a transaction-level advisory lock, so
leadership can never outlive the session that holds it. Published rows are kept for
OUTBOX_RETENTION_DAYS so that they can be published again (`republish`) to a broker that lost
them; the service's pruner deletes them after that (shared/retention.py), never the relay, which
has events to publish.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypedDict

from aiokafka import AIOKafkaProducer
from sqlalchemy import Row, Table, event, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from shared import bulk, observability, tracing
from shared.messaging import wakeups
from shared.messaging.envelope import Envelope
from shared.messaging.payloads import Payload, payload_type
from shared.observability import OUTBOX_OLDEST, OUTBOX_PUBLISHED, correlation_id

log = logging.getLogger(__name__)
_OWED, _WROTE, _WRITER = "outbox.owed", "outbox.wrote", "outbox.writer"


class Publisher:
    """The one way a process owes events. Each event carries the correlation id of the request
    or command that started its chain (or of the event it answers), its cause, and the trace
    context; it is written to the process's outbox in the caller's transaction and published
    after the commit by the relay."""

    def __init__(self, source: str, table: Table):
        self.source, self.table = source, table
        self._written: list[Callable[[], None]] = []
        # Whether a commit that wrote rows announces them to the relays of other processes. A
        # process with a relay of its own turns it off: its relay is woken in the process, and
        # tells the others itself when another process's relay is the one publishing.
        self.announces = True

    def event(self, payload: Payload, *, key: str, subject: str, cause: Envelope | None = None) -> Envelope:
        # An event that answers another continues its trace (the consumer's span); one that
        # starts a chain continues the request's span, when tracing is on.
        return Envelope.of(
            payload,
            source=self.source,
            key=key,
            subject=subject,
            cause=cause,
            correlation_id=correlation_id.get(),
            traceparent=None if cause else tracing.current_traceparent(),
        )

    async def publish(self, session: AsyncSession, *events: Envelope) -> None:
        """Owes these events in the session's transaction: written as it commits, or not at all."""
        owe(session, *(row(e) for e in events))

    def on_written(self, callback: Callable[[], None]) -> None:
        """`callback` runs after a transaction that wrote outbox rows committed (it wakes the relay)."""
        self._written.append(callback)

    def written(self) -> None:
        """Rows were committed to the outbox."""
        for callback in self._written:
            callback()


class OutboxRow(TypedDict):
    """The values of an outbox row, which owes one record."""

    topic: str
    key: str
    value: bytes
    headers: list[list[str]]


def row(event: Envelope) -> OutboxRow:
    """The outbox row that owes this event."""
    model = payload_type(event.type)
    if model is None:
        raise LookupError(f"no payload type is registered as {event.type!r}")
    return {
        "topic": model.topic,
        "key": event.key,
        "value": event.data,
        "headers": [[k, v.decode()] for k, v in event.headers()],
    }


class OutboxSession(Session):
    """A session whose owed rows are written to its publisher's outbox as its transaction commits."""


@event.listens_for(OutboxSession, "before_commit")
def _write_owed(session: Session) -> None:
    # Runs inside the commit, so the rows join the transaction; one statement for all of them.
    if owed := session.info.pop(_OWED, None):
        writer: Publisher = session.info[_WRITER]
        bulk.insert_rows_now(session, writer.table, owed)
        if writer.announces:
            session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": channel(writer.table)})
        session.info[_WROTE] = True


@event.listens_for(OutboxSession, "after_commit")
def _wake(session: Session) -> None:
    observability.run_on_commit(session.info)
    if session.info.pop(_WROTE, False):
        session.info[_WRITER].written()


@event.listens_for(OutboxSession, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_OWED, None)
    session.info.pop(_WROTE, None)
    observability.forget_on_rollback(session.info)


def sessions(engine: AsyncEngine, publisher: Publisher) -> async_sessionmaker[AsyncSession]:
    """Sessions whose owed events are written to the publisher's outbox as their transaction commits."""
    return async_sessionmaker(
        engine, expire_on_commit=False, sync_session_class=OutboxSession, info={_WRITER: publisher}
    )


def owe(session: AsyncSession | Session, *rows: OutboxRow) -> None:
    """Owe these rows' events in the session's transaction: they are written as it commits."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    if not isinstance(sync, OutboxSession):
        # Rows owed on any other session would never be written: refuse rather than lose them.
        raise TypeError("events can be owed only on the sessions of a publisher (shared.messaging.outbox.sessions)")
    session.info.setdefault(_OWED, []).extend(rows)


def channel(outbox: Table) -> str:
    """Where a commit that left rows for the relay is announced (shared/messaging/wakeups.py)."""
    return wakeups.channel(str(outbox.schema), "outbox")


def publishing_lock(outbox: Table) -> int:
    """The advisory lock a relay holds, for one transaction, while it publishes `outbox`."""
    return zlib.crc32(f"outbox:{outbox.schema}".encode())


class OutboxRelay:
    # After a wake-up, wait this long so that a burst of commits goes out as one batch.
    LINGER_S = 0.005

    def __init__(
        self,
        engine: AsyncEngine,
        outbox: Table,
        producer: AIOKafkaProducer,
        *,
        send_timeout_s: float,
        poll_interval_s: float,
        batch_size: int = 500,
    ):
        self._engine, self._outbox, self._producer = engine, outbox, producer
        self._send_timeout_s, self._poll_interval_s, self._batch = send_timeout_s, poll_interval_s, batch_size
        self._wakeup = asyncio.Event()
        self._owed_here = False  # this process committed rows since the relay last published
        self._lock_key = publishing_lock(outbox)
        self.channel = channel(outbox)
        self._oldest = OUTBOX_OLDEST.labels(outbox.schema)
        OUTBOX_PUBLISHED.labels(outbox.schema)  # exists from zero, before the first event goes out
        self.last_progress = datetime.now(UTC)

    def wake(self) -> None:
        """Called after a commit of this process that added rows, so they go out without waiting."""
        self._owed_here = True
        self._wakeup.set()

    def notified(self) -> None:
        """Another process committed rows (its relay could not publish them: this one may)."""
        self._wakeup.set()

    async def run(self) -> None:
        """Publishes until cancelled, sleeping while there is nothing to publish: woken by its
        process's commits and other processes' notifications, and on a slow timer in case one
        was missed. A failure ends it: its keeper restarts it."""
        while True:
            self._wakeup.clear()  # before reading: a commit from now on wakes the next round
            published = await self.publish_pending()
            self.last_progress = datetime.now(UTC)
            if published < self._batch:
                try:
                    await asyncio.wait_for(self._wakeup.wait(), self._poll_interval_s)
                    await asyncio.sleep(self.LINGER_S)
                except TimeoutError:
                    pass

    async def publish_pending(self) -> int:
        """Publishes the oldest unpublished rows, unless another relay is publishing right now."""
        o = self._outbox
        owed_here, self._owed_here = self._owed_here, False
        async with self._engine.begin() as conn:
            if not (await conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": self._lock_key})).scalar():
                if owed_here:
                    # Another process's relay is publishing: it may have read before our rows
                    # were committed, so tell it they are there.
                    await wakeups.notify(conn, self.channel)
                return 0
            rows = (
                await conn.execute(
                    select(o.c.id, o.c.topic, o.c.key, o.c.value, o.c.headers, o.c.created_at)
                    .where(o.c.published_at.is_(None))
                    .order_by(o.c.id)
                    .limit(self._batch)
                )
            ).all()
            # The publisher knows the oldest row waiting for free: it is the first it read. Set
            # before sending, so that a broker that keeps refusing shows as an age that grows.
            self._oldest.set((datetime.now(UTC) - rows[0].created_at).total_seconds() if rows else 0)
            if not rows:
                return 0
            # send() itself waits for metadata when the broker is away: bound the whole exchange.
            await asyncio.wait_for(self._send(rows), self._send_timeout_s)
            await conn.execute(
                update(o).where(bulk.among(o.c.id, [r.id for r in rows])).values(published_at=text("now()"))
            )
        OUTBOX_PUBLISHED.labels(o.schema).inc(len(rows))
        if len(rows) < self._batch:
            self._oldest.set(0)  # it published everything that was waiting
        return len(rows)

    async def _send(self, rows: Sequence[Row[*tuple[Any, ...]]]) -> None:
        acks = [
            await self._producer.send(
                r.topic, r.value, key=r.key.encode(), headers=[(k, v.encode()) for k, v in r.headers]
            )
            for r in rows
        ]
        await asyncio.gather(*acks)


async def republish(engine: AsyncEngine, outbox: Table, since: datetime) -> int:
    """Marks every row created since `since` unpublished, so the relay publishes them again in
    order: for a broker that lost what it held. Inboxes absorb what had been handled already."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(outbox)
            .where(outbox.c.created_at >= since, outbox.c.published_at.is_not(None))
            .values(published_at=None)
        )
        await wakeups.notify(conn, channel(outbox))
    return result.rowcount
