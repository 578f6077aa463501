"""An idle process sleeps, and wakes on work: what another process committed reaches its relay as
a PostgreSQL notification, and a quiet consumer fetches at its idle pace until records come.

The relays here look on their own only every ten minutes, so only a notification can make them
publish within the test's wait."""

import asyncio
import uuid

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from services.quota.main import create_app
from shared import topics
from shared.events import SelectionConcludedV1
from shared.messaging import consumer, kafka, outbox
from shared.messaging.consumer import ConsumerRunner
from shared.messaging.envelope import Envelope
from tests.kafka_tools import read_until
from tests.wiring import wired

pytestmark = pytest.mark.integration

NEVER_S = 600.0  # a relay's own look, longer than any wait of these tests


def concluded(subject: str) -> SelectionConcludedV1:
    return SelectionConcludedV1(
        application_id=uuid.uuid4(),
        credit_code="91510100MA61R8XN39",
        clause="2.4-typical-case",
        year=2024,
        selected=True,
        rank=1,
        reason=subject,
    )


async def owe(wiring, key: str, subject: str) -> None:
    async with wiring.sessions.begin() as session:
        await wiring.publisher.publish(session, wiring.publisher.event(concluded(subject), key=key, subject=subject))


async def test_rows_an_operator_command_committed_are_published_by_the_running_service_when_announced(stack):
    runtime = create_app(stack.settings("quota", outbox_poll_interval_s=NEVER_S)).state.runtime
    key = f"wake-{uuid.uuid4().hex[:6]}"
    await runtime.start()
    try:
        await asyncio.sleep(0.5)  # the relay has looked once, found nothing, and sleeps
        async with wired(stack.database_url, "quota") as command:  # another process, as `subsidy …`
            await owe(command, key, "from a command")
        records = await read_until(
            stack.bootstrap_servers, topics.SELECTIONS, lambda rs: any(r.key == key.encode() for r in rs)
        )
    finally:
        await runtime.stop()
    assert [r.key for r in records if r.key == key.encode()] == [key.encode()]


async def test_a_relay_that_cannot_publish_what_its_process_owes_tells_the_others_and_only_then(stack):
    runtime = create_app(stack.settings("quota", outbox_poll_interval_s=NEVER_S)).state.runtime
    relay = None
    heard: asyncio.Queue[str] = asyncio.Queue()
    listening = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    holder = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    await runtime.start()
    try:
        relay = runtime.relay
        assert relay is not None
        await listening.add_listener(relay.channel, lambda *args: heard.put_nowait(args[2]))
        async with holder.transaction():  # another replica's relay, publishing
            await holder.execute(
                "SELECT pg_advisory_xact_lock($1)", outbox.publishing_lock(runtime.wiring.publisher.table)
            )
            relay.notified()  # woken by another process: nothing of its own to tell
            assert await relay.publish_pending() == 0
            await asyncio.sleep(0.3)
            assert heard.empty()
            relay.wake()  # its own process committed rows
            assert await relay.publish_pending() == 0
            assert await asyncio.wait_for(heard.get(), 10) == relay.channel
    finally:
        await runtime.stop()
        await listening.close()
        await holder.close()


async def test_a_quiet_consumer_fetches_at_its_idle_pace_and_at_its_busy_pace_once_records_come(stack, monkeypatch):
    monkeypatch.setattr(consumer, "QUIET_S", 1.0)
    monkeypatch.setattr(consumer, "POLL_MS", 100)
    group, subject, handled = f"pace-{uuid.uuid4().hex[:6]}", f"pace-{uuid.uuid4().hex[:6]}", asyncio.Event()

    async def selection(session, event, p) -> None:
        if event.subject == subject:
            handled.set()

    async with wired(stack.database_url, "quota") as w:
        runner = ConsumerRunner(
            group=group,
            new_consumer=lambda: kafka.consumer(stack.settings("quota"), group),
            sessions=w.sessions,
            inbox=w.metadata.tables["quota.inbox"],
            handlers={SelectionConcludedV1: selection},
            fetch_wait_ms=(100, 700),
        )
        task = asyncio.create_task(runner.run())
        try:
            # aiokafka keeps the wait of the fetches it makes in its fetcher (shared/messaging/kafka.py).
            while runner._consumer is None or runner._consumer._fetcher._fetch_max_wait_ms != 700:
                await asyncio.sleep(0.1)
            producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap_servers)
            await producer.start()
            try:
                e = Envelope.of(concluded(subject), source="/test", key=subject, subject=subject)
                await producer.send_and_wait(topics.SELECTIONS, e.data, key=e.key.encode(), headers=e.headers())
            finally:
                await producer.stop()
            await asyncio.wait_for(handled.wait(), 30)
            # The poll that brought the record set the busy pace before handling it.
            assert runner._consumer._fetcher._fetch_max_wait_ms == 100
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
