"""Bringing dead letters back: each goes to the topic it came from, with its original headers.

Every consumer group of that topic sees it again; those that had handled it already skip it by
their inbox, so a replay only takes effect where the event had failed. A replay stops at the end
of the dead-letter topic as it stood when it began, so an event that fails again waits for the next.
"""

import asyncio

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared import topics

GROUP = "dead-letter-replay"


async def replay(bootstrap_servers: str, consumer_group: str | None = None) -> int:
    """Republishes the dead letters not replayed before (of one consumer group, if named)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=GROUP, enable_auto_commit=False)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    await consumer.start()
    await producer.start()
    replayed = 0
    try:
        partitions = [TopicPartition(topics.DEAD_LETTERS, p) for p in range(topics.PARTITIONS)]
        consumer.assign(partitions)
        end = await consumer.end_offsets(partitions)
        for tp in partitions:
            committed = await consumer.committed(tp)
            consumer.seek(tp, committed or 0)
        while [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
            for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                records = [r for r in records if r.offset < end[tp]]
                for record in records:
                    headers = dict(record.headers)
                    if consumer_group and headers.get("dlt_consumer", b"").decode() != consumer_group:
                        continue
                    original = [(k, v) for k, v in record.headers if not k.startswith("dlt_")]
                    await producer.send_and_wait(headers["dlt_topic"].decode(), record.value, key=record.key,
                                                 headers=original)
                    replayed += 1
                if records:
                    await consumer.commit({tp: records[-1].offset + 1})
                    consumer.seek(tp, records[-1].offset + 1)
    finally:
        await asyncio.wait_for(producer.stop(), 10)
        await asyncio.wait_for(consumer.stop(), 10)
    return replayed
