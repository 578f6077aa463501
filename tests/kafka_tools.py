"""Reading and writing topics the way an outside party would: a plain client, no group."""

import asyncio
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from shared.messaging.envelope import Envelope


async def publish(bootstrap: str, topic: str, *events: Envelope) -> None:
    await send_raw(bootstrap, topic, *[(e.key.encode(), e.data, e.headers()) for e in events])


async def send_raw(bootstrap: str, topic: str, *records: tuple[bytes, bytes, list]) -> list:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        return [await producer.send_and_wait(topic, value, key=key, headers=headers) for key, value, headers in records]
    finally:
        await producer.stop()


async def read_until(
    bootstrap: str, topic: str, done: Callable[[list[ConsumerRecord]], bool], timeout_s: float = 20
) -> list[ConsumerRecord]:
    """Every record of the topic from the beginning, until `done(records)` holds."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in await _partitions(consumer, topic)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        records: list[ConsumerRecord] = []
        async with asyncio.timeout(timeout_s):
            while not done(records):
                for batch in (await consumer.getmany(timeout_ms=200)).values():
                    records.extend(batch)
        return records
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    for _ in range(50):
        found = consumer.partitions_for_topic(topic)
        if found:
            return found
        await consumer._client.force_metadata_update()
    raise LookupError(topic)


def headers(record: ConsumerRecord) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers}


async def eventually(check: Callable, timeout_s: float = 20, interval_s: float = 0.1):
    """Polls an async check until it returns something truthy; returns that."""
    async with asyncio.timeout(timeout_s):
        while not (result := await check()):
            await asyncio.sleep(interval_s)
    return result
