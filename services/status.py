"""What `subsidy status` shows, gathered from where it lives: each service's health from its own
routes, each group's lag from the broker (committed offsets against end offsets), each outbox's
backlog from its schema, dead letters from their topic."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.topology import consumer_groups
from shared import topics
from shared.messaging import dead_letters
from shared.stack import SERVICES


@dataclass
class Health:
    service: str
    status: str  # "ok", what /healthz says is wrong, or "unreachable"
    loops: list[dict] = field(default_factory=list)  # from /loops on the operators' port, if reachable


@dataclass
class Lag:
    service: str
    group: str
    topic: str
    partition: int
    committed: int | None  # None: the group has committed nothing there yet
    end: int

    @property
    def behind(self) -> int:
        # The embedded broker (Tansu) can report a partition's end below offsets already read and
        # committed; a group past the end it reports is caught up, not ahead.
        return max(0, self.end - (self.committed or 0))


@dataclass
class Outbox:
    service: str
    backlog: int
    oldest_s: float | None


async def health(urls: dict[str, str], admin_urls: dict[str, str]) -> list[Health]:
    async with httpx.AsyncClient(timeout=3) as client:

        async def one(service: str) -> Health:
            try:
                status = (await client.get(f"{urls[service]}/healthz")).json()["status"]
            except (httpx.HTTPError, ValueError, KeyError):
                return Health(service, "unreachable")
            try:
                loops = (await client.get(f"{admin_urls[service]}/loops")).json()["loops"]
            except (httpx.HTTPError, ValueError, KeyError):
                loops = []
            return Health(service, status, loops)

        return list(await asyncio.gather(*(one(s) for s in urls)))


async def lag(bootstrap_servers: str) -> list[Lag]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=5000)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        rows = []
        for service, groups in consumer_groups().items():
            for group, group_topics in groups.items():
                partitions = [TopicPartition(t, p) for t in group_topics for p in range(topics.PARTITIONS)]
                committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
                end = await consumer.end_offsets(partitions)
                for tp in partitions:
                    at = committed.get(tp)
                    rows.append(
                        Lag(
                            service,
                            group,
                            tp.topic,
                            tp.partition,
                            at.offset if at is not None and at.offset >= 0 else None,
                            end[tp],
                        )
                    )
        return rows
    finally:
        await consumer.stop()
        await admin.close()


async def outboxes(database_url: str) -> list[Outbox]:
    engine = create_async_engine(database_url.replace("postgresql://", "postgresql+asyncpg://", 1))
    try:
        async with engine.connect() as conn:
            rows = []
            for service in SERVICES:
                backlog, oldest = (
                    await conn.execute(
                        text(f"SELECT count(*), min(created_at) FROM {service}.outbox WHERE published_at IS NULL")
                    )
                ).one()
                rows.append(Outbox(service, backlog, (datetime.now(UTC) - oldest).total_seconds() if oldest else None))
            return rows
    finally:
        await engine.dispose()


async def dead_letters_by_type(bootstrap_servers: str) -> dict[tuple[str, str], tuple[int, int]]:
    """(consumer group, event type) → (letters, of which not replayed yet)."""
    found, replayed = await dead_letters.letters(bootstrap_servers)
    total = Counter((letter.consumer, letter.type) for letter in found)
    waiting = Counter((letter.consumer, letter.type) for letter in found if letter.id not in replayed)
    return {key: (n, waiting[key]) for key, n in sorted(total.items())}
