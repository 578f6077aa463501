"""Kafka clients with settings safe for money: acks from all replicas, no auto-commit."""

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared import topics
from shared.settings import Settings

log = logging.getLogger(__name__)


def producer(settings: Settings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=settings.brokers,
        client_id=settings.service_name,
        acks="all",
        linger_ms=2,
        request_timeout_ms=int(settings.kafka_send_timeout_s * 1000),
    )


def consumer(settings: Settings, group: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        bootstrap_servers=settings.brokers,
        client_id=settings.service_name,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        max_poll_interval_ms=60_000,
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        # The background fetcher wakes on each answer, on a poll and when its partitions change; this
        # is how often it also wakes with none of those, going over every partition it holds for
        # nothing to do. aiokafka's 200 ms keeps an idle process busy.
        consumer_timeout_ms=5000,
    )


def fetch_wait(consumer: AIOKafkaConsumer, wait_ms: int) -> None:
    """How long the broker may hold the consumer's next fetches when it has nothing for them.

    aiokafka takes fetch.max.wait.ms once, when the consumer is built; its started fetcher reads
    the value for each request, so changing it there changes the fetches from the next one on.
    """
    consumer._fetcher._fetch_max_wait_ms = wait_ms


async def create_topics(bootstrap_servers: str, partitions: int = topics.PARTITIONS, replication: int = 1) -> None:
    """Create the product's topics explicitly: brokers auto-create them with the wrong partitioning."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [NewTopic(t, partitions, replication) for t in topics.ALL if t not in existing]
        if wanted:
            with suppress(TopicAlreadyExistsError):
                await admin.create_topics(wanted)
            log.info("created topics %s", [t.name for t in wanted])
    finally:
        await admin.close()


async def wait_for_broker(bootstrap_servers: str, timeout_s: float = 30) -> None:
    # Refused connections are expected while the broker starts: aiokafka would log each as an error.
    with _quiet(logging.getLogger("aiokafka")):
        await _wait_for_broker(bootstrap_servers, timeout_s)


@contextmanager
def _quiet(logger: logging.Logger) -> Iterator[None]:
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


async def _wait_for_broker(bootstrap_servers: str, timeout_s: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=2000)
        try:
            await admin.start()
            await admin.list_topics()
            return
        except Exception:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)
        finally:
            await admin.close()
