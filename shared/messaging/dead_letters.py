"""Dead letters: reading them, and bringing them back once their cause is fixed. The one reader
and replayer: `subsidy dead-letters` and the console's dead-letter pages both use it.

Reading never consumes: no consumer group, no committed offset. A letter is named by its id, as
`subsidy dead-letters show ID` and the console's pages name it.

A replayed letter goes to the topic it came from with its original headers. Every consumer group
of that topic sees it again; those that had handled it already skip it by their inbox, so a replay
only takes effect where the event had failed.

Which letters were replayed is recorded by letter id on `subsidy.dead-letters.replays`, never as a
position in the dead-letter topic: a replay filtered to one group or type leaves every other
letter where it was, for a later replay to find. A letter replayed and failing again comes back
as a new letter (a new id), for the next replay. The id is stable across a broker that lost its
data and got the letters again from the outboxes.

Two replays of one letter at once (two console replicas, the console and the command) send it
once: each letter is first claimed by its id in the replaying service's database (`Claims`; the
console's `replays` table), and sent only once that claim is committed. A claim held already,
by the same letter id, means the letter went back (or is going back): nothing is sent, and the
caller says so. A replay cut short between its claim and its send leaves the claim `sending`; an
operator sends such a letter again on purpose (`resend_unconfirmed`), and only once the claim is
older than any send in progress could be.

Inboxes forget events after INBOX_RETENTION_DAYS (shared/retention.py): given it, a replay leaves
alone a letter whose event is older than that, since the groups that had handled the event might
handle it again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from shared import topics


@dataclass(frozen=True)
class Letter:
    id: str
    record: ConsumerRecord

    @property
    def headers(self) -> dict[str, str]:
        return {k: v.decode(errors="replace") for k, v in self.record.headers}

    @property
    def consumer(self) -> str:
        return self.headers.get("dlt_consumer", "?")

    @property
    def type(self) -> str:
        return self.headers.get("ce_type", "unknown")

    @property
    def error(self) -> str:
        return self.headers.get("dlt_error", "")

    @property
    def at(self) -> str:
        return self.headers.get("dlt_at", "")

    @property
    def topic(self) -> str:
        """Where the event came from, and where a replay sends it."""
        return self.headers.get("dlt_topic", "")

    @property
    def event_time(self) -> datetime | None:
        """When the event happened, as it says (`ce_time`), if it says so legibly."""
        try:
            return datetime.fromisoformat(self.headers["ce_time"])
        except (KeyError, ValueError):
            return None

    @property
    def origin(self) -> str:
        return f"{self.headers.get('dlt_partition', '?')}@{self.headers.get('dlt_offset', '?')}"

    @property
    def key(self) -> str:
        return (self.record.key or b"").decode(errors="replace")

    @property
    def original_headers(self) -> list[tuple[str, str]]:
        """The event's own headers, as a replay sends them (the dlt_* ones left out)."""
        return [(k, v.decode(errors="replace")) for k, v in self.record.headers if not k.startswith("dlt_")]

    def payload(self) -> str:
        """The payload as indented JSON where it is JSON; otherwise as text."""
        text = (self.record.value or b"").decode(errors="replace")
        try:
            return json.dumps(json.loads(text), ensure_ascii=False, indent=2)
        except ValueError:
            return text

    def matches(self, consumer: str | None, event_type: str | None, ids: Iterable[str] | None) -> bool:
        return (
            (consumer is None or self.consumer == consumer)
            and (event_type is None or self.type == event_type)
            and (not ids or self.id in set(ids))
        )


def letter_id(headers: dict[str, str], partition: int, offset: int) -> str:
    """Who gave up on which event when; a letter without an event id is named by its place."""
    event = (
        headers.get("ce_id") or f"{headers.get('dlt_topic')}/{headers.get('dlt_partition')}/{headers.get('dlt_offset')}"
    )
    whole = "\n".join((headers.get("dlt_consumer", ""), event, headers.get("dlt_at", "")))
    return hashlib.sha256(whole.encode()).hexdigest()[:16]


async def read_to_end(bootstrap_servers: str, topic: str, timeout_s: float = 60) -> list[ConsumerRecord]:
    """Every record of the topic up to its end as it stands now; no consumer group is involved.
    A broker that stops answering midway raises TimeoutError after `timeout_s`, never waits forever."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    try:  # started inside: a caller's timeout that cuts the start short still closes the consumer
        async with asyncio.timeout(timeout_s):
            return await _read(consumer, topic)
    finally:
        await asyncio.wait_for(consumer.stop(), 10)


async def _read(consumer: AIOKafkaConsumer, topic: str) -> list[ConsumerRecord]:
    await consumer.start()
    partitions = [TopicPartition(topic, p) for p in range(topics.PARTITIONS)]
    consumer.assign(partitions)
    await consumer.seek_to_beginning(*partitions)
    end = await consumer.end_offsets(partitions)
    records: list[ConsumerRecord] = []
    while [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
        records += [r for batch in (await consumer.getmany(timeout_ms=500)).values() for r in batch]
    # The embedded broker (Tansu) can report an end below records it holds: read on until a poll
    # brings nothing more.
    while more := [r for batch in (await consumer.getmany(timeout_ms=200)).values() for r in batch]:
        records += more
    return records


async def letters(bootstrap_servers: str) -> tuple[list[Letter], set[str]]:
    """Every dead letter, oldest first per partition, and the ids of those replayed already."""
    records, replays = await asyncio.gather(
        read_to_end(bootstrap_servers, topics.DEAD_LETTERS), read_to_end(bootstrap_servers, topics.DEAD_LETTER_REPLAYS)
    )
    found = [
        Letter(letter_id({k: v.decode(errors="replace") for k, v in r.headers}, r.partition, r.offset), r)
        for r in records
    ]
    return found, {r.key.decode() for r in replays if r.key}


def summary(found: Iterable[Letter]) -> dict[str, dict[str, int]]:
    """How many letters per consumer group and per type, for filters."""
    groups: dict[str, int] = {}
    types: dict[str, int] = {}
    for letter in found:
        groups[letter.consumer] = groups.get(letter.consumer, 0) + 1
        types[letter.type] = types.get(letter.type, 0) + 1
    return {"consumers": dict(sorted(groups.items())), "types": dict(sorted(types.items()))}


@dataclass(frozen=True)
class Claim:
    """A letter's replay as the database holds it: `granted` when this replay may send it."""

    granted: bool
    state: str  # sending | sent
    by: str
    at: datetime


class Claims(Protocol):
    """Where a service records the letters it sends back, claimed before they are sent."""

    async def claim(self, letter_id: str, by: str, *, resend_unconfirmed: bool = False) -> Claim:
        """Granted when no replay claimed this letter before (or, with `resend_unconfirmed`, when
        one claimed it long ago and never confirmed sending it); otherwise the claim held."""

    async def sent(self, letter_id: str) -> None:
        """The letter is on its topic (and recorded on the replays topic)."""


@dataclass
class Replayed:
    sent: list[str] = field(default_factory=list)
    # Letters another replay claimed first (same letter id), left alone: what that claim says.
    held: dict[str, Claim] = field(default_factory=dict)
    # Letters whose event is older than the inboxes remember, left alone (see above).
    too_old: list[str] = field(default_factory=list)


async def replay(
    bootstrap_servers: str,
    consumer: str | None = None,
    event_type: str | None = None,
    ids: Iterable[str] | None = None,
    *,
    claims: Claims,
    by: str,
    resend_unconfirmed: bool = False,
    inbox_retention: timedelta | None = None,
) -> Replayed:
    """Sends back the letters not replayed before that match every filter given, each claimed first
    (see above). Each is recorded as replayed once its topic has it: a replay cut short sends the
    rest next time. With `inbox_retention`, letters whose event is older than that stay."""
    found, replayed = await letters(bootstrap_servers)
    # A letter on the topic twice (published again from an outbox) goes back once.
    todo = list(
        {
            letter.id: letter
            for letter in found
            if letter.id not in replayed and letter.matches(consumer, event_type, ids)
        }.values()
    )
    done = Replayed()
    if inbox_retention is not None:
        oldest = datetime.now(UTC) - inbox_retention
        done.too_old = [x.id for x in todo if x.event_time is not None and x.event_time < oldest]
        todo = [x for x in todo if x.id not in done.too_old]
    if not todo:
        return done
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    await producer.start()
    try:
        for letter in todo:
            claim = await claims.claim(letter.id, by, resend_unconfirmed=resend_unconfirmed)
            if not claim.granted:
                done.held[letter.id] = claim
                continue
            r = letter.record
            original = [(k, v) for k, v in r.headers if not k.startswith("dlt_")]
            await producer.send_and_wait(letter.headers["dlt_topic"], r.value, key=r.key, headers=original)
            await producer.send_and_wait(topics.DEAD_LETTER_REPLAYS, b"{}", key=letter.id.encode())
            await claims.sent(letter.id)
            done.sent.append(letter.id)
    finally:
        await asyncio.wait_for(producer.stop(), 10)
    return done
