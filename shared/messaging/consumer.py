"""Consuming events exactly once in effect.

Each event is handled in one database transaction that also records `(consumer, event id)` in the
inbox, so a redelivered event does nothing. Offsets are committed explicitly, and only after the
database commit. A handler that keeps failing is retried a bounded number of times, then its
message goes to the dead-letter topic with its original headers and the error, and its partition
moves on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from sqlalchemy import Table
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import topics
from shared.messaging.envelope import Envelope, MalformedEvent
from shared.messaging.payloads import Payload
from shared.observability import CONSUMER_LAG, EVENTS_CONSUMED, correlation_id

log = logging.getLogger(__name__)

# Failures of our own infrastructure are not the message's fault: they never dead-letter it.
TRANSIENT = (OperationalError, InterfaceError, OSError, TimeoutError)

Handler = Callable[[AsyncSession, Envelope, Payload], Awaitable[None]]


class ConsumerRunner:
    def __init__(self, *, group: str, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer,
                 sessions: async_sessionmaker, inbox: Table, handlers: dict[type[Payload], Handler],
                 max_attempts: int = 3, send_timeout_s: float = 10.0,
                 after_commit: Callable[[], None] = lambda: None):
        self.group, self._consumer, self._producer = group, consumer, producer
        self._sessions, self._inbox = sessions, inbox
        self._handlers = {model.ce_type: handler for model, handler in handlers.items()}
        consumer.subscribe(sorted({model.topic for model in handlers}))
        self._max_attempts, self._send_timeout_s = max_attempts, send_timeout_s
        self._after_commit = after_commit
        self.last_progress = datetime.now(UTC)

    async def start(self) -> None:
        await self._consumer.start()

    async def stop(self, timeout_s: float = 5) -> None:
        # aiokafka's stop() can hang when the broker is away.
        await asyncio.wait_for(self._consumer.stop(), timeout_s)

    async def run(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=500, max_records=200)
            for tp, records in batches.items():
                done = await self._process_partition(tp, records)
                try:
                    if done:
                        await self.commit_offsets({tp: done})
                    await self._report_lag(tp)
                except KafkaError as error:
                    # The partition moved to another member, or the broker is away: what was not
                    # committed is delivered again, and the inbox makes that harmless.
                    log.warning("offset commit for %s failed: %r", tp, error)
            self.last_progress = datetime.now(UTC)

    async def _process_partition(self, tp: TopicPartition, records: list[ConsumerRecord]) -> int | None:
        """Handles records in order; returns the offset to commit next, if any progress was made."""
        done = None
        for record in records:
            try:
                await self.process(record)
            except TRANSIENT as error:
                log.warning("infrastructure unavailable (%r); will retry from offset %d", error, record.offset)
                self._consumer.seek(tp, record.offset)
                await asyncio.sleep(1)
                break
            done = record.offset + 1
        return done

    async def commit_offsets(self, offsets: dict[TopicPartition, int]) -> None:
        await self._consumer.commit(offsets)

    async def process(self, record: ConsumerRecord) -> None:
        try:
            envelope = Envelope.from_record(record.key, record.value, list(record.headers))
            handler = self._handlers.get(envelope.type)
            if handler is None:
                return self._count(envelope.type, "ignored")
            payload = envelope.payload()
        except MalformedEvent as error:
            return await self._dead_letter(record, error, attempts=0)
        correlation_id.set(envelope.correlation_id)
        for attempt in range(1, self._max_attempts + 1):
            try:
                handled = await self._handle_once(handler, envelope, payload)
                return self._count(envelope.type, "handled" if handled else "duplicate")
            except TRANSIENT:
                raise
            except Exception as error:
                log.warning("handling %s %s failed (attempt %d/%d): %r", envelope.type, envelope.id,
                            attempt, self._max_attempts, error)
                if attempt == self._max_attempts:
                    return await self._dead_letter(record, error, attempts=attempt)
                await asyncio.sleep(0.05 * 2 ** attempt)

    async def _handle_once(self, handler: Handler, envelope: Envelope, payload: Payload) -> bool:
        async with self._sessions.begin() as session:
            first_time = (await session.execute(
                insert(self._inbox).values(consumer=self.group, event_id=envelope.id)
                .on_conflict_do_nothing().returning(self._inbox.c.event_id)
            )).first()
            if first_time:
                await handler(session, envelope, payload)
        if first_time:
            self._after_commit()
        return bool(first_time)

    async def _dead_letter(self, record: ConsumerRecord, error: Exception, attempts: int) -> None:
        log.error("dead-lettering %s[%d]@%d: %s", record.topic, record.partition, record.offset, error)
        headers = list(record.headers) + [
            ("dlt_error", str(error)[:2000].encode()), ("dlt_error_type", type(error).__name__.encode()),
            ("dlt_consumer", self.group.encode()), ("dlt_topic", record.topic.encode()),
            ("dlt_partition", str(record.partition).encode()), ("dlt_offset", str(record.offset).encode()),
            ("dlt_attempts", str(attempts).encode()),
        ]
        await asyncio.wait_for(self._producer.send_and_wait(
            topics.DEAD_LETTERS, record.value, key=record.key, headers=headers), self._send_timeout_s)
        self._count("malformed" if attempts == 0 else "unknown", "dead_lettered")

    def _count(self, event_type: str, result: str) -> None:
        EVENTS_CONSUMED.labels(self.group, event_type, result).inc()

    async def _report_lag(self, tp: TopicPartition) -> None:
        highwater = self._consumer.highwater(tp)
        if highwater is not None:
            lag = max(0, highwater - await self._consumer.position(tp))
            CONSUMER_LAG.labels(self.group, tp.topic, tp.partition).set(lag)
