"""Reading dead letters, without consuming them: no consumer group, no committed offset, nothing
sent anywhere. For the console's dead-letter pages (and any other reader); replaying them is
`dead_letters.replay`'s business alone.

A dead letter is addressed by its place on the dead-letter topic, `partition/offset`.
"""

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared import topics


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    topic: str              # where the event came from
    consumer: str           # the consumer group that gave up on it
    type: str               # its ce_type, or "" when it had none (a malformed message)
    subject: str
    error: str
    error_type: str
    attempts: str
    at: str                 # when it was dead-lettered (ISO 8601)
    origin: str             # partition@offset on its own topic
    key: str
    value: bytes
    headers: tuple[tuple[str, str], ...]   # the original headers (the dlt_* ones excluded)

    def pretty_value(self) -> str:
        """The payload as indented JSON where it is JSON; otherwise as text."""
        text = self.value.decode("utf-8", "replace") if self.value else ""
        try:
            return json.dumps(json.loads(text), ensure_ascii=False, indent=2)
        except ValueError:
            return text


def _text(value: bytes | None) -> str:
    return value.decode("utf-8", "replace") if value else ""


def letter(record) -> DeadLetter:
    h = {k: _text(v) for k, v in record.headers}
    return DeadLetter(
        partition=record.partition, offset=record.offset, topic=h.get("dlt_topic", ""),
        consumer=h.get("dlt_consumer", ""), type=h.get("ce_type", ""), subject=h.get("ce_subject", ""),
        error=h.get("dlt_error", ""), error_type=h.get("dlt_error_type", ""), attempts=h.get("dlt_attempts", ""),
        at=h.get("dlt_at", ""), origin=f"{h.get('dlt_partition', '?')}@{h.get('dlt_offset', '?')}",
        key=_text(record.key), value=record.value or b"",
        headers=tuple((k, _text(v)) for k, v in record.headers if not k.startswith("dlt_")))


async def _reading(bootstrap_servers: str, timeout_s: float):
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest", request_timeout_ms=int(timeout_s * 1000))
    await asyncio.wait_for(consumer.start(), timeout_s)
    return consumer


async def recent(bootstrap_servers: str, per_partition: int = 200, timeout_s: float = 5.0) -> list[DeadLetter]:
    """The latest `per_partition` dead letters of each partition, newest first."""
    consumer = await _reading(bootstrap_servers, timeout_s)
    letters: list[DeadLetter] = []
    try:
        async with asyncio.timeout(timeout_s):
            partitions = [TopicPartition(topics.DEAD_LETTERS, p) for p in range(topics.PARTITIONS)]
            consumer.assign(partitions)
            first, end = await consumer.beginning_offsets(partitions), await consumer.end_offsets(partitions)
            for tp in partitions:
                consumer.seek(tp, max(first[tp], end[tp] - per_partition))
            waiting = {tp for tp in partitions if end[tp] > max(first[tp], end[tp] - per_partition)}
            while waiting:
                for tp, records in (await consumer.getmany(*waiting, timeout_ms=500)).items():
                    letters += [letter(r) for r in records if r.offset < end[tp]]
                    if records and records[-1].offset + 1 >= end[tp]:
                        waiting.discard(tp)
                waiting = {tp for tp in waiting if await consumer.position(tp) < end[tp]}
    finally:
        await asyncio.wait_for(consumer.stop(), timeout_s)
    return sorted(letters, key=lambda d: (d.at, d.partition, d.offset), reverse=True)


async def one(bootstrap_servers: str, partition: int, offset: int, timeout_s: float = 5.0) -> DeadLetter | None:
    """The dead letter at partition/offset, or None when there is none (or no longer)."""
    if not 0 <= partition < topics.PARTITIONS or offset < 0:
        return None
    consumer = await _reading(bootstrap_servers, timeout_s)
    try:
        async with asyncio.timeout(timeout_s):
            tp = TopicPartition(topics.DEAD_LETTERS, partition)
            consumer.assign([tp])
            first, end = (await consumer.beginning_offsets([tp]))[tp], (await consumer.end_offsets([tp]))[tp]
            if not first <= offset < end:
                return None
            consumer.seek(tp, offset)
            while True:
                for record in (await consumer.getmany(tp, timeout_ms=500)).get(tp, []):
                    if record.offset == offset:
                        return letter(record)
                    if record.offset > offset:   # compacted away
                        return None
    finally:
        await asyncio.wait_for(consumer.stop(), timeout_s)


def summary(letters: list[DeadLetter]) -> dict[str, Any]:
    """How many per consumer group and per type, for filters."""
    groups: dict[str, int] = {}
    types: dict[str, int] = {}
    for d in letters:
        groups[d.consumer] = groups.get(d.consumer, 0) + 1
        types[d.type] = types.get(d.type, 0) + 1
    return {"consumers": dict(sorted(groups.items())), "types": dict(sorted(types.items()))}
