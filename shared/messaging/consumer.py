"""Consuming events exactly once in effect, a partition's batch at a time.

The records a poll brings for one partition are handled in one database transaction, which also
records their event ids in the inbox (one statement for the batch), so a redelivered event does
nothing. Offsets are committed explicitly, only after the database commit, and only for
partitions still ours: a partition revoked mid-batch stops being handled, and the rebalance
waits for the batch in flight to stop, so two members never work one partition at once.

Failures of our own infrastructure (`faults.is_transient`) are retried with backoff for as long
as they last. Any other failure means a record is at fault: the batch is then handled one record
at a time, the failing record is retried a bounded number of times, then dead-lettered with its
original headers and the error. A dead letter is owed through the outbox, in the transaction
that gives up on the record, so it cannot be lost to a broker timeout.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaError
from sqlalchemy import ARRAY, Table, Text, bindparam, func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import topics, tracing
from shared.messaging import kafka, outbox
from shared.messaging.envelope import Envelope, MalformedEvent
from shared.messaging.faults import describe, is_transient
from shared.messaging.payloads import Payload
from shared.observability import CONSUMER_LAG, DEAD_LETTERS, EVENTS_CONSUMED, correlation_id

log = logging.getLogger(__name__)

# A handler takes the payload type it is registered under: one registry holds handlers of many
# payload types, which no static type relates to their keys, hence Any for the payload.
Handler = Callable[[AsyncSession, Envelope, Any], Awaitable[None]]

P = TypeVar("P", bound=Payload)

# How long a poll waits for records before the loop goes round (reporting lag, progress) anyway:
# records end the wait at once.
POLL_MS = 5000
# After this long without a record, a consumer's fetches may wait longer (`fetch_wait_ms`).
QUIET_S = 30.0


@dataclass(frozen=True)
class Batched(Generic[P]):
    """A handler given consecutive events of its type together, so that it can do their I/O in
    bulk: `fn(session, [(envelope, payload), …])`, in partition order."""

    fn: Callable[[AsyncSession, list[tuple[Envelope, P]]], Awaitable[None]]


# Payload type -> its handler (see Handler for the Any).
Handlers = Mapping[type[Payload], Handler | Batched[Any]]


def merged(*maps: Handlers) -> Handlers:
    """The handlers of one group made of several maps: a payload type handled twice is refused,
    never one of its handlers silently dropped."""
    together: dict[type[Payload], Handler | Batched[Any]] = {}
    for handlers in maps:
        if twice := together.keys() & handlers.keys():
            raise ValueError(f"handled twice in one group: {sorted(t.__name__ for t in twice)}")
        together.update(handlers)
    return together


@dataclass(frozen=True)
class _Parsed:
    record: ConsumerRecord
    envelope: Envelope
    payload: Payload
    handler: Handler | Batched[Any]


class Backoff:
    """Exponential delays with a ceiling, for waiting out an outage."""

    def __init__(self, first_s: float = 0.2, max_s: float = 10.0):
        self._first_s, self._max_s, self._next_s = first_s, max_s, first_s

    def next(self) -> float:
        delay, self._next_s = self._next_s, min(self._next_s * 2, self._max_s)
        return delay


class ConsumerRunner:
    def __init__(
        self,
        *,
        group: str,
        new_consumer: Callable[[], AIOKafkaConsumer],
        sessions: async_sessionmaker[AsyncSession],
        inbox: Table,
        handlers: Handlers,
        max_attempts: int = 3,
        max_batch: int = 1000,
        revoke_wait_s: float = 30.0,
        fetch_wait_ms: tuple[int, int] | None = None,
    ):
        self.group, self._new_consumer, self._sessions = group, new_consumer, sessions
        self._handlers = {model.ce_type: handler for model, handler in handlers.items()}
        for ce_type in self._handlers:
            # Series exist from zero, so that the first dead letter is an increase an alert sees.
            EVENTS_CONSUMED.labels(group, ce_type, "handled")
            DEAD_LETTERS.labels(group, ce_type)
        self.topics = sorted({model.topic for model in handlers})
        self._max_attempts, self._max_batch, self._revoke_wait_s = max_attempts, max_batch, revoke_wait_s
        # (while records come, once none came for QUIET_S): a consumer that sleeps when idle
        self._fetch_wait_ms = fetch_wait_ms
        self._claim = (
            insert(inbox)
            .from_select(
                ["consumer", "event_id"], select(literal(group), func.unnest(bindparam("ids", type_=ARRAY(Text))))
            )
            .on_conflict_do_nothing()
            .returning(inbox.c.event_id)
        )
        self._consumer: AIOKafkaConsumer | None = None
        self._busy = asyncio.Lock()  # held while a poll's records are handled and committed
        self._revoking: set[TopicPartition] = set()
        self.last_progress = datetime.now(UTC)

    async def run(self) -> None:
        """Consumes until cancelled, with a consumer of its own; a failure ends it (its keeper
        starts it again, with a new consumer that rejoins the group)."""
        consumer = self._consumer = self._new_consumer()
        consumer.subscribe(self.topics, listener=_Rebalance(self))
        await consumer.start()
        quiet_since, quiet = time.monotonic(), False
        try:
            while True:
                polled = await consumer.getmany(timeout_ms=POLL_MS, max_records=self._max_batch)
                if self._fetch_wait_ms:
                    if polled:
                        quiet_since = time.monotonic()
                    if quiet != (not polled and time.monotonic() - quiet_since > QUIET_S):
                        quiet = not quiet
                        kafka.fetch_wait(consumer, self._fetch_wait_ms[quiet])
                async with self._busy:
                    await self._process([r for records in polled.values() for r in records])
                    await self._commit({tp: records[-1].offset + 1 for tp, records in polled.items()})
                await self._report_lag(consumer)
                self.last_progress = datetime.now(UTC)
        finally:
            self._consumer = None
            await bounded(consumer.stop())

    def _lost(self, tp: TopicPartition) -> bool:
        return tp in self._revoking or self._consumer is None or tp not in self._consumer.assignment()

    async def _process(self, records: list[ConsumerRecord]) -> None:
        """Handles a poll's records (of every partition, in one transaction when all goes well),
        waiting out outages; records of a partition revoked meanwhile are left to its new owner."""
        pending, backoff = list(records), Backoff()
        while pending:
            pending[:] = [r for r in pending if not self._lost(_partition(r))]
            if not pending:
                return
            try:
                await self._handle(pending)
            except Exception as error:
                if not is_transient(error):
                    raise
                log.warning(
                    "%s: infrastructure unavailable (%s); retrying %d record(s)",
                    self.group,
                    describe(error),
                    len(pending),
                )
                self.last_progress = datetime.now(UTC)  # waiting out an outage is not being stuck
                await asyncio.sleep(backoff.next())

    async def _handle(self, pending: list[ConsumerRecord]) -> None:
        """Handles every pending record, removing each from the list once it took effect."""
        try:
            await self._in_one_transaction(pending)
            pending.clear()
            return
        except Exception as error:
            if is_transient(error):
                raise
            log.info(
                "%s: a batch of %d failed (%s); handling it one record at a time",
                self.group,
                len(pending),
                describe(error),
            )
        while pending:
            if not self._lost(_partition(pending[0])):
                await self._one_at_a_time(pending[0])
            del pending[0]

    async def _in_one_transaction(self, records: list[ConsumerRecord]) -> None:
        parsed: list[_Parsed] = []
        malformed: list[tuple[ConsumerRecord, MalformedEvent]] = []
        counts: Counter[tuple[str, str]] = Counter()
        for record in records:
            try:
                if (item := self._parse(record)) is None:
                    counts[(_type_of(record), "ignored")] += 1
                else:
                    parsed.append(item)
            except MalformedEvent as error:
                malformed.append((record, error))
        if tracing.enabled():
            with tracing.consuming(self.group, [p.envelope for p in parsed]) as traced:
                await self._record(
                    [replace(p, envelope=e) for p, e in zip(parsed, traced, strict=False)], malformed, counts
                )
        else:
            await self._record(parsed, malformed, counts)
        for (event_type, result), n in counts.items():
            EVENTS_CONSUMED.labels(self.group, event_type, result).inc(n)
            if result == "dead_lettered":
                DEAD_LETTERS.labels(self.group, event_type).inc(n)

    async def _record(
        self,
        parsed: list[_Parsed],
        malformed: list[tuple[ConsumerRecord, MalformedEvent]],
        counts: Counter[tuple[str, str]],
    ) -> None:
        """Claims the events in the inbox and handles those seen for the first time, in one transaction."""
        async with self._sessions.begin() as session:
            fresh = set((await session.execute(self._claim, {"ids": [p.envelope.id for p in parsed]})).scalars())
            todo = []
            for item in parsed:
                first_time = item.envelope.id in fresh
                if first_time:
                    fresh.discard(item.envelope.id)  # the same event twice in one batch takes effect once
                    todo.append(item)
                counts[(item.envelope.type, "handled" if first_time else "duplicate")] += 1
            await _dispatch(session, todo)
            for record, error in malformed:
                self._owe_dead_letter(session, record, error, attempts=0)
                counts[(_type_of(record), "dead_lettered")] += 1

    async def _one_at_a_time(self, record: ConsumerRecord) -> None:
        """One record in its own transaction, retried a bounded number of times, then dead-lettered."""
        for attempt in range(1, self._max_attempts + 1):
            try:
                await self._in_one_transaction([record])
                return
            except Exception as error:
                if is_transient(error):
                    raise
                log.warning(
                    "%s: handling %s@%d failed (attempt %d/%d): %s",
                    self.group,
                    record.topic,
                    record.offset,
                    attempt,
                    self._max_attempts,
                    describe(error),
                )
                if attempt == self._max_attempts:
                    async with self._sessions.begin() as session:
                        self._owe_dead_letter(session, record, error, attempts=attempt)
                    EVENTS_CONSUMED.labels(self.group, _type_of(record), "dead_lettered").inc()
                    DEAD_LETTERS.labels(self.group, _type_of(record)).inc()
                    return
                await asyncio.sleep(0.05 * 2**attempt)

    def _parse(self, record: ConsumerRecord) -> _Parsed | None:
        """The record as an event this group handles; None for a type it does not handle (most of
        what a topic carries, for a group that follows one or two of its types: not read further)."""
        event_type = _type_of(record, default="")
        if event_type and event_type not in self._handlers:
            return None
        envelope = Envelope.from_record(record.key, record.value, list(record.headers))
        handler = self._handlers.get(envelope.type)
        if handler is None:
            return None
        return _Parsed(record, envelope, envelope.payload(), handler)

    def _owe_dead_letter(
        self, session: AsyncSession, record: ConsumerRecord, error: BaseException, attempts: int
    ) -> None:
        log.error(
            "%s: dead-lettering %s[%d]@%d: %s",
            self.group,
            record.topic,
            record.partition,
            record.offset,
            describe(error),
        )
        headers = [(k, _text(v)) for k, v in record.headers] + [
            ("dlt_error", describe(error)[:2000]),
            ("dlt_error_type", type(error).__name__),
            ("dlt_consumer", self.group),
            ("dlt_topic", record.topic),
            ("dlt_partition", str(record.partition)),
            ("dlt_offset", str(record.offset)),
            ("dlt_attempts", str(attempts)),
            ("dlt_at", datetime.now(UTC).isoformat()),
        ]
        outbox.owe(
            session,
            {
                "topic": topics.DEAD_LETTERS,
                "key": _text(record.key or b""),
                "value": record.value or b"",
                "headers": [[k, v] for k, v in headers],
            },
        )

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        ours = {tp: offset for tp, offset in offsets.items() if not self._lost(tp)}
        if not ours:
            return
        try:
            await self.commit_offsets(ours)
        except KafkaError as error:
            # The group is rebalancing or the broker is away: what was not committed is delivered
            # again, and the inbox makes that harmless.
            log.warning("%s: offset commit failed (%r); the records will be delivered again", self.group, error)

    async def commit_offsets(self, offsets: dict[TopicPartition, int]) -> None:
        if self._consumer is None:  # only `run` commits, while it has its consumer
            raise RuntimeError(f"{self.group}: committing offsets with no consumer running")
        await self._consumer.commit(offsets)

    async def _report_lag(self, consumer: AIOKafkaConsumer) -> None:
        """Every partition this member owns, whether the poll brought records for it or not."""
        for tp in consumer.assignment():
            if self._lost(tp):
                continue
            highwater = consumer.highwater(tp)
            if highwater is not None:
                lag = max(0, highwater - await consumer.position(tp))
                CONSUMER_LAG.labels(self.group, tp.topic, tp.partition).set(lag)


# aiokafka ships no types (its classes are Any to the checker), and checks the listener's class.
class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """Before partitions move, the batch in flight stops and commits nothing for them."""

    def __init__(self, runner: ConsumerRunner):
        self._runner = runner

    async def on_partitions_revoked(self, revoked: Collection[TopicPartition]) -> None:
        runner = self._runner
        runner._revoking = set(revoked)
        for tp in revoked:
            # Its new owner reports the partition's lag from now on; what this member said
            # last would otherwise linger beside it.
            CONSUMER_LAG.labels(runner.group, tp.topic, tp.partition).set(0)
        try:
            async with asyncio.timeout(runner._revoke_wait_s):
                async with runner._busy:
                    pass
        except TimeoutError:
            log.warning("%s: the batch in flight did not stop before the rebalance", runner.group)

    async def on_partitions_assigned(self, assigned: Collection[TopicPartition]) -> None:
        self._runner._revoking = set()


async def _dispatch(session: AsyncSession, items: list[_Parsed]) -> None:
    """Calls each handler in partition order; a batched handler gets each run of its events at once."""
    i = 0
    while i < len(items):
        handler = items[i].handler
        if isinstance(handler, Batched):
            j = i
            while j < len(items) and items[j].handler is handler:
                j += 1
            await handler.fn(session, [(p.envelope, p.payload) for p in items[i:j]])
            i = j
        else:
            correlation_id.set(items[i].envelope.correlation_id)
            await handler(session, items[i].envelope, items[i].payload)
            i += 1


def _partition(record: ConsumerRecord) -> TopicPartition:
    return TopicPartition(record.topic, record.partition)


def _type_of(record: ConsumerRecord, default: str = "unknown") -> str:
    return next((_text(v) for k, v in record.headers if k == "ce_type"), default)


def _text(value: bytes) -> str:
    # Headers and keys are stored as text: PostgreSQL text holds neither NUL nor invalid UTF-8.
    return value.decode(errors="replace").replace("\x00", "\ufffd")


async def bounded(aw: Awaitable[object], timeout_s: float = 5) -> None:
    # aiokafka's stop() can hang when the broker is away.
    try:
        await asyncio.wait_for(aw, timeout_s)
    except Exception as e:
        log.warning("shutdown step did not finish: %r", e)
