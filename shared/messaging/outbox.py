"""Transactional outbox: events are written with the state change, then relayed to Kafka.

One relay per service holds a Postgres advisory lock and publishes rows in id order, so events
of one key reach their partition in the order they were committed. A row is marked published only
after the broker acknowledged it; a crash in between publishes it again, which inboxes absorb.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer
from sqlalchemy import Table, delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from shared.messaging.envelope import Envelope
from shared.observability import OUTBOX_PUBLISHED

log = logging.getLogger(__name__)


def row(topic: str, event: Envelope) -> dict:
    """The outbox row that owes this event."""
    return {"topic": topic, "key": event.key, "value": event.data,
            "headers": [[k, v.decode()] for k, v in event.headers()]}


async def add(session: AsyncSession, outbox: Table, topic: str, *events: Envelope) -> None:
    """Owe these events; they are published once the caller's transaction commits."""
    await session.execute(insert(outbox), [row(topic, e) for e in events])


class OutboxRelay:
    # After a wake-up, wait this long so that a burst of commits goes out as one batch.
    LINGER_S = 0.005
    # Published rows are kept this long for inspection, then deleted when the relay is idle.
    RETENTION = timedelta(days=1)

    def __init__(self, engine: AsyncEngine, outbox: Table, producer: AIOKafkaProducer, *,
                 send_timeout_s: float, poll_interval_s: float, batch_size: int = 200):
        self._engine, self._outbox, self._producer = engine, outbox, producer
        self._send_timeout_s, self._poll_interval_s, self._batch = send_timeout_s, poll_interval_s, batch_size
        self._wakeup = asyncio.Event()
        self._lock_key = zlib.crc32(f"outbox:{outbox.schema}".encode())
        self.last_progress = datetime.now(UTC)

    def wake(self) -> None:
        """Called after a commit that added rows, so they go out without waiting for the poll."""
        self._wakeup.set()

    async def run(self) -> None:
        while True:
            try:
                async with self._engine.connect() as leader:
                    try:
                        await self._lead(leader)
                    finally:
                        # Closing the connection, not pooling it, is what releases the lock.
                        await leader.invalidate()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; retrying")
                await asyncio.sleep(1)

    async def _lead(self, leader) -> None:
        # Only one relay publishes a schema's outbox at a time: that is what keeps per-key order.
        while not (await leader.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._lock_key})).scalar():
            await leader.commit()
            await asyncio.sleep(self._poll_interval_s * 5)
        await leader.commit()
        while True:
            published = await self.publish_pending()
            self.last_progress = datetime.now(UTC)
            if published < self._batch:
                self._wakeup.clear()
                try:
                    await asyncio.wait_for(self._wakeup.wait(), self._poll_interval_s)
                except TimeoutError:
                    # Idle: a good moment to tidy up, which also shows the lock's connection is alive.
                    await self._forget_published(leader)
                else:
                    await asyncio.sleep(self.LINGER_S)

    async def publish_pending(self) -> int:
        o = self._outbox
        async with self._engine.begin() as conn:
            rows = (await conn.execute(
                select(o.c.id, o.c.topic, o.c.key, o.c.value, o.c.headers)
                .where(o.c.published_at.is_(None)).order_by(o.c.id)
                .limit(self._batch).with_for_update(skip_locked=True)
            )).all()
            if not rows:
                return 0
            # send() itself waits for metadata when the broker is away: bound the whole exchange.
            await asyncio.wait_for(self._send(rows), self._send_timeout_s)
            await conn.execute(update(o).where(o.c.id.in_([r.id for r in rows]))
                               .values(published_at=datetime.now(UTC)))
        OUTBOX_PUBLISHED.labels(o.schema).inc(len(rows))
        return len(rows)

    async def _forget_published(self, leader) -> None:
        o = self._outbox
        await leader.execute(delete(o).where(o.c.published_at < datetime.now(UTC) - self.RETENTION))
        await leader.commit()

    async def _send(self, rows) -> None:
        acks = [await self._producer.send(r.topic, r.value, key=r.key.encode(),
                                          headers=[(k, v.encode()) for k, v in r.headers])
                for r in rows]
        await asyncio.gather(*acks)
