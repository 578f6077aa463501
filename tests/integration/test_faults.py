"""The kernel under faults: the database cut away mid-stream, a dead letter that cannot be sent, a
partition taken away mid-batch, two relays on one outbox. The assertion is always the business
invariant: every event takes effect exactly once, and nothing good is dead-lettered."""

import asyncio
import uuid

import asyncpg
import pytest
from aiokafka import TopicPartition
from sqlalchemy import func, select, text

from services.eligibility.main import create_app as eligibility_app
from services.eligibility.tables import decisions
from services.payout.books import LEDGER_LOCK as _LEDGER_LOCK
from services.payout.main import create_app as payout_app
from services.payout.tables import awards, transfers
from services.quota.main import create_app as quota_app
from shared import topics
from shared.events import AwardGrantedV1, SelectionConcludedV1
from shared.messaging import kafka
from shared.messaging.faults import is_transient
from shared.messaging.outbox import OutboxRelay, publishing_lock
from shared.observability import EVENTS_CONSUMED
from shared.retention import Pruner, messaging_rules
from tests.builders import applicant_code, award, submitted
from tests.infra import CONTAINERS, Broker
from tests.kafka_tools import eventually, headers, publish, read_until, send_raw
from tests.money_tools import fund, verified

pytestmark = pytest.mark.integration


def dead_lettered(group: str) -> float:
    return sum(
        s.value
        for m in EVENTS_CONSUMED.collect()
        for s in m.samples
        if s.name.endswith("_total") and s.labels["consumer"] == group and s.labels["result"] == "dead_lettered"
    )


async def count(runtime, query) -> int:
    """The query's count on the service's own pool; a pooled connection the fault cut away is
    found dead on use, so the read is tried again, as the service itself would."""
    for _ in range(4):
        try:
            async with runtime.wiring.sessions() as s:
                return (await s.execute(query)).scalar_one()
        except Exception as error:
            if not is_transient(error):
                raise
            await asyncio.sleep(0.2)
    async with runtime.wiring.sessions() as s:  # the last try: whatever fails it fails the test
        return (await s.execute(query)).scalar_one()


async def terminate_backends(database_url: str, application_name: str) -> int:
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        return len(
            await conn.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = $1",
                application_name,
            )
        )
    finally:
        await conn.close()


@pytest.mark.parametrize("fault", ["backends terminated", "server restarted"])
async def test_with_the_database_cut_away_mid_stream_every_application_is_decided_once_and_none_dead_lettered(
    stack, postgres, fault
):
    if fault == "server restarted" and CONTAINERS:
        pytest.skip("restarting a container moves its port")
    n = 1500
    prefix = f"9151{'02' if fault == 'server restarted' else '01'}00MB"
    events = [submitted("1.1-node", applicant_code(i, prefix), node_id=f"SN-{i}") for i in range(n)]
    await publish(stack.bootstrap_servers, topics.APPLICATIONS, *events)
    group, dead_before = "eligibility-decisions", dead_lettered("eligibility-decisions")
    runtime = eligibility_app(stack.settings("eligibility")).state.runtime
    await runtime.start()
    try:
        ours = decisions.c.application_id.in_([uuid.UUID(e.subject) for e in events])
        await eventually(lambda: count(runtime, select(func.count()).where(ours)), timeout_s=30)  # under way
        for _ in range(3):
            if fault == "backends terminated":
                assert await terminate_backends(stack.database_url, "eligibility") >= 0
            else:
                await asyncio.to_thread(postgres.restart)
            await asyncio.sleep(0.5)

        async def all_decided():
            try:
                return await count(runtime, select(func.count()).where(ours)) == n
            except Exception:  # the test's own reads may meet the outage too
                return False

        await eventually(all_decided, timeout_s=90, interval_s=0.5)
        assert await count(runtime, select(func.count(func.distinct(decisions.c.application_id))).where(ours)) == n
        assert dead_lettered(group) == dead_before
        assert runtime.unhealthy() is None
    finally:
        await runtime.stop()


async def test_a_dead_letter_whose_send_times_out_waits_in_the_outbox_and_goes_out_when_the_broker_returns(
    stack, tmp_path
):
    broker = Broker(tmp_path).start()
    await kafka.wait_for_broker(broker.bootstrap_servers)
    await kafka.create_topics(broker.bootstrap_servers)
    # The lock holder below publishes nothing and tells no relay: only the relay's own look (its
    # safety poll, once a minute by default) finds the letter once the lock is free.
    settings = stack.settings(
        "payout",
        kafka_bootstrap_servers=broker.bootstrap_servers,
        kafka_send_timeout_s=1.0,
        outbox_poll_interval_s=1.0,
    )
    runtime = payout_app(settings).state.runtime
    outbox = runtime.wiring.publisher.table
    code = applicant_code(7001)
    good = award(code, "10.00")
    await runtime.start()
    # The test takes the outbox's publishing lock, as another relay would: the letter stays owed.
    holder = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    await holder.execute("BEGIN")
    await holder.execute("SELECT pg_advisory_xact_lock($1)", publishing_lock(outbox))
    try:
        await send_raw(
            broker.bootstrap_servers,
            topics.AWARDS,
            (code.encode(), b"{not json", good.headers()),
            (code.encode(), good.data, good.headers()),
        )
        letter = (outbox.c.topic == topics.DEAD_LETTERS) & outbox.c.published_at.is_(None)
        await eventually(lambda: count(runtime, select(func.count()).where(letter)))
        broker.pause()
        await holder.execute("ROLLBACK")  # the relay may publish now, and its send times out
        relay = next(loop for loop in runtime.loops if loop.name == "payout-relay")
        await eventually(lambda: _true(relay.restarts >= 1), timeout_s=15)
        assert "Timeout" in relay.last_error and runtime.unhealthy() is None
        assert await count(runtime, select(func.count()).where(letter)) == 1  # still owed, not lost
        broker.resume()
        dead = await read_until(
            broker.bootstrap_servers,
            topics.DEAD_LETTERS,
            lambda rs: any(r.value == b"{not json" for r in rs),
            timeout_s=30,
        )
        assert headers(dead[-1])["dlt_consumer"] == "payout-ledger"
        assert await count(runtime, select(func.count()).where(awards.c.credit_code == code)) == 1
    finally:
        await holder.close()
        await runtime.stop()
        broker.stop()


@pytest.mark.faults  # a rebalance timed against a held lock: run alone, not beside another module's load
async def test_a_partition_taken_away_mid_batch_is_left_to_its_new_owner_and_each_award_is_booked_once(stack):
    code_of = [applicant_code(8000 + i) for i in range(60)]
    events = [award(code_of[i % 60], "1.00") for i in range(600)]
    await fund(stack.database_url)
    # The ledger's lock, held by the test, stops the first member inside its first batch.
    holder = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    await holder.execute("BEGIN")
    await holder.execute("SELECT pg_advisory_xact_lock($1)", _LEDGER_LOCK)
    first = payout_app(stack.settings("payout")).state.runtime
    second = payout_app(stack.settings("payout")).state.runtime
    committed_by_first: list[tuple[set[TopicPartition], set[TopicPartition]]] = []  # (moved by then, committed)
    moved: set[TopicPartition] = set()
    await first.start()
    runner = first.runners[0]
    runner._revoke_wait_s = 1.0  # the batch in flight is stuck: let the rebalance go on without it
    commit = runner.commit_offsets

    async def recording(offsets):
        committed_by_first.append((set(moved), set(offsets)))  # what had moved away by then
        await commit(offsets)

    runner.commit_offsets = recording
    try:
        await publish(stack.bootstrap_servers, topics.AWARDS, *events)
        await eventually(lambda: _true(runner._busy.locked()), timeout_s=20)  # mid-batch, blocked
        taken_from_first = set(runner._consumer.assignment())
        await second.start()
        await eventually(
            lambda: _true(second.runners[0]._consumer is not None and bool(second.runners[0]._consumer.assignment())),
            timeout_s=20,
        )
        moved |= set(second.runners[0]._consumer.assignment())
        assert moved and moved <= taken_from_first
        await holder.execute("ROLLBACK")  # the first member's batch now finishes

        award_ids = [e.subject for e in events]
        booked = select(func.count()).where(awards.c.application_id.in_([uuid.UUID(a) for a in award_ids]))
        await eventually(lambda: _is(count(first, booked), len(events)), timeout_s=60)
        async with first.wiring.sessions() as s:
            per_award = (
                await s.execute(
                    text("SELECT ref FROM payout.transfers WHERE code = 'reserve' GROUP BY ref HAVING count(*) <> 1")
                )
            ).all()
            ours = [str(AwardGrantedV1.model_validate_json(e.data).award_id) for e in events]
            reserved = (
                await s.execute(select(func.count()).where(transfers.c.code == "reserve", transfers.c.ref.in_(ours)))
            ).scalar_one()
        assert per_award == [] and reserved == len(events)
        assert (await verified(stack.database_url)).problem is None
        assert committed_by_first  # the first went on committing what stayed its own…
        assert all(not (offsets & gone) for gone, offsets in committed_by_first)  # …never what had moved
    finally:
        await holder.close()
        await first.stop()
        await second.stop()


async def test_two_relays_on_one_outbox_publish_each_key_in_commit_order(stack):
    writer = quota_app(stack.settings("quota")).state.runtime
    other = quota_app(stack.settings("quota")).state.runtime
    keys = [f"2.3-alliance-chain:{uuid.uuid4().hex[:6]}" for _ in range(4)]
    per_key = 80

    async def write(key: str) -> None:  # one transaction per event, as separate handlers would commit
        for n in range(per_key):
            async with writer.wiring.sessions.begin() as session:
                await writer.wiring.publisher.publish(
                    session,
                    writer.wiring.publisher.event(
                        SelectionConcludedV1(
                            application_id=uuid.uuid4(),
                            credit_code="91510100MA61R8XN39",
                            clause="2.3-alliance-chain",
                            year=2024,
                            selected=True,
                            rank=1,
                            reason="test",
                        ),
                        key=key,
                        subject=f"{key}#{n:03d}",
                    ),
                )

    await writer.start()
    await other.start()  # its relay competes for the same outbox
    try:
        await asyncio.gather(*(write(k) for k in keys))
        records = await read_until(
            stack.bootstrap_servers,
            topics.SELECTIONS,
            lambda rs: sum(r.key.decode() in keys for r in rs) >= per_key * len(keys),
            timeout_s=30,
        )
    finally:
        await writer.stop()
        await other.stop()
    published_by = {loop.name: loop for loop in writer.loops + other.loops}
    assert published_by  # both relays ran
    for key in keys:
        ours = sorted((r for r in records if r.key.decode() == key), key=lambda r: r.offset)
        first_seen = list(dict.fromkeys(headers(r)["ce_subject"] for r in ours))
        assert first_seen == [f"{key}#{n:03d}" for n in range(per_key)]


async def test_published_rows_are_pruned_while_the_relay_is_busy(stack):
    # Retentions of a few milliseconds: published rows may go at once.
    settings = stack.settings("quota", outbox_retention_days=1e-7, inbox_retention_days=1e-7)
    runtime = quota_app(settings).state.runtime  # its tables and engine; not started
    producer = kafka.producer(runtime.settings)
    await producer.start()
    relay = OutboxRelay(
        runtime.wiring.engine,
        runtime.wiring.publisher.table,
        producer,
        send_timeout_s=5,
        poll_interval_s=0.05,
        batch_size=1,
    )
    w = runtime.wiring
    pruner = Pruner(w.engine, "quota", messaging_rules(w.metadata, settings), interval_s=0.01, batch=50, pause_s=0)
    async with runtime.wiring.sessions.begin() as session:
        await runtime.wiring.publisher.publish(
            session,
            *(
                runtime.wiring.publisher.event(
                    SelectionConcludedV1(
                        application_id=uuid.uuid4(),
                        credit_code="91510100MA61R8XN39",
                        clause="2.3-alliance-chain",
                        year=2024,
                        selected=False,
                        rank=None,
                        reason="test",
                    ),
                    key="prune",
                    subject=str(n),
                )
                for n in range(300)
            ),
        )
    o = runtime.wiring.publisher.table
    backlog = select(func.count()).select_from(o).where(o.c.published_at.is_(None))
    rows = select(func.count()).select_from(o)
    publishing, pruning = asyncio.create_task(relay.run()), asyncio.create_task(pruner.run())
    try:

        async def pruned_with_a_backlog():  # rows are gone while others still wait: it never went idle
            remaining, waiting = await count(runtime, rows), await count(runtime, backlog)
            return waiting > 0 and remaining < 300

        await eventually(pruned_with_a_backlog, timeout_s=20, interval_s=0.01)
        await eventually(lambda: _is(count(runtime, rows), 0), timeout_s=30)
    finally:
        publishing.cancel()
        pruning.cancel()
        await asyncio.gather(publishing, pruning, return_exceptions=True)
        await producer.stop()
        await runtime.wiring.engine.dispose()


async def _true(value):
    return value


async def _is(awaitable, wanted):
    return await awaitable == wanted
