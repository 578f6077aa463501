"""`subsidy dead-letters` and `subsidy status` against a real broker and database."""

import asyncio
import dataclasses
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaProducer
from typer.testing import CliRunner

from services.cli import app
from services.console.replays import ReplayClaims
from shared import topics
from shared.messaging.dead_letters import letters, replay
from shared.stack import SERVICES, ServiceProcess, free_port
from tests import builders
from tests.kafka_tools import headers, read_until, send_raw
from tests.wiring import wired

pytestmark = pytest.mark.integration


def dead_letter(group: str, event, error: str = "boom") -> tuple[bytes, bytes, list]:
    """A letter as a consumer group leaves it on the dead-letter topic."""
    return (
        event.key.encode(),
        event.data,
        event.headers()
        + [
            (k, v.encode())
            for k, v in {
                "dlt_consumer": group,
                "dlt_topic": topics.AWARDS,
                "dlt_partition": "0",
                "dlt_offset": "7",
                "dlt_error": error,
                "dlt_error_type": "ValueError",
                "dlt_attempts": "3",
                "dlt_at": f"2024-03-01T00:00:0{uuid.uuid4().int % 9}+00:00",
            }.items()
        ],
    )


async def run(stack, *args: str):
    env = {"KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap_servers, "DATABASE_URL": stack.database_url, "COLUMNS": "250"}
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


async def replayed(stack, **filters) -> int:
    """How many letters a replay sends back, acting as the console (as the command does)."""
    async with wired(stack.database_url, "console") as console:
        done = await replay(stack.bootstrap_servers, **filters, claims=ReplayClaims(console.sessions), by="a test")
    return len(done.sent)


async def replayed_to_awards(stack, event_ids: set[str]) -> list:
    """The records on the awards topic carrying these events (the replays), once all are there."""
    records = await read_until(
        stack.bootstrap_servers, topics.AWARDS, lambda rs: event_ids <= {headers(r).get("ce_id") for r in rs}
    )
    return [r for r in records if headers(r).get("ce_id") in event_ids]


async def test_a_replay_of_one_group_never_skips_another_groups_letters(stack):
    ledger, grants = builders.award("91510100MA61R8XN3X"), builders.award("91510100MA61R8XN3X")
    await send_raw(
        stack.bootstrap_servers,
        topics.DEAD_LETTERS,
        dead_letter("payout-ledger", ledger),
        dead_letter("eligibility-grants", grants),
    )

    listed = await run(stack, "dead-letters", "list", "--consumer", "payout-ledger")
    assert "payout-ledger" in listed and "eligibility-grants" not in listed

    assert await replayed(stack, consumer="payout-ledger") == 1
    assert await replayed(stack, consumer="payout-ledger") == 0  # once only
    # The other group's letter was passed over by that filter, and is still there to replay.
    assert "replayed 1 event(s)" in await run(stack, "dead-letters", "replay", "--consumer", "eligibility-grants")
    back = await replayed_to_awards(stack, {ledger.id, grants.id})
    assert len(back) == 2
    assert all(not k.startswith("dlt_") for r in back for k, _ in r.headers)  # the original headers only
    assert sorted(r.value for r in back) == sorted([ledger.data, grants.data])


async def test_letters_sent_in_one_batch_are_all_read(stack):
    # The relay publishes dead letters in batches; a broker may report a partition's end at the
    # last batch's first record (the embedded one does): reading stops at none of them.
    code = "91510100MA61R8XN3X"
    batch = [builders.award(code) for _ in range(5)]
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap_servers, acks="all", linger_ms=100)
    await producer.start()
    try:
        sent = [
            await producer.send(topics.DEAD_LETTERS, value, key=key, headers=h)
            for key, value, h in (dead_letter("payout-ledger", e) for e in batch)
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()
    found, _ = await letters(stack.bootstrap_servers)
    assert {e.id for e in batch} <= {f.headers.get("ce_id") for f in found}


async def test_letters_are_filtered_by_type_and_by_id_and_shown_whole(stack):
    award = builders.award("91510100MA61R8XN3X", "12.34")
    submitted = builders.submitted("1.1-node", "91510100MA61R8XN3X")
    await send_raw(
        stack.bootstrap_servers,
        topics.DEAD_LETTERS,
        dead_letter("notify-partners", award),
        dead_letter("notify-partners", submitted, error="bad node"),
    )
    found, _ = await letters(stack.bootstrap_servers)
    (by_type,) = [f for f in found if f.headers.get("ce_id") == submitted.id]
    listed = await run(stack, "dead-letters", "list", "--type", submitted.type)
    assert by_type.id in listed and award.type not in listed

    shown = await run(stack, "dead-letters", "show", by_type.id)
    assert "bad node" in shown and "dlt_consumer" in shown and submitted.id in shown
    assert json.loads(submitted.data)["application"]["clause"] in shown

    assert await replayed(stack, ids=[by_type.id]) == 1
    listed = await run(stack, "dead-letters", "list", "--consumer", "notify-partners", "--waiting")
    assert by_type.id not in listed and award.type in listed


async def test_status_shows_health_lag_outboxes_and_dead_letters(stack, tmp_path):
    payout = ServiceProcess("payout", free_port(), stack.env(), tmp_path / "payout.log").start()
    try:
        await asyncio.to_thread(payout.wait_ready)
        await send_raw(
            stack.bootstrap_servers,
            topics.DEAD_LETTERS,
            dead_letter("payout-ledger", builders.award("91510100MA61R8XN3X")),
        )
        # The status command finds services at port_base + their index: give it payout's.
        base = payout.port - SERVICES.index("payout")
        output = await run(
            stack, "status", "--port-base", str(base), "--admin-offset", str(payout.admin_port - payout.port)
        )
        services_table = output.split("Consumer groups")[0]
        rows = {line.split("│")[1].strip(): line for line in services_table.splitlines() if line.count("│") > 3}
        assert "ok" in rows["payout"] and "payout-ledger" in rows["payout"]  # its loops, from the operators' port
        assert "unreachable" in rows["intake"]
        assert "eligibility-decisions" in output and topics.APPLICATIONS in output
        assert "Outboxes" in output and "Dead letters" in output and "subsidy.award.granted.v1" in output
    finally:
        payout.stop()


async def test_a_letter_older_than_the_inboxes_remember_is_not_replayed(stack):
    # Groups that had handled an event forget it after INBOX_RETENTION_DAYS: sent again, they would
    # handle it again.
    fresh = builders.award("91510100MA61R8XN3X")
    forgotten = dataclasses.replace(builders.award("91510100MA61R8XN3X"), time=datetime.now(UTC) - timedelta(days=20))
    await send_raw(
        stack.bootstrap_servers,
        topics.DEAD_LETTERS,
        dead_letter("quota-rounds", forgotten),
        dead_letter("quota-rounds", fresh),
    )

    # INBOX_RETENTION_DAYS is 14 by default.
    output = await run(stack, "dead-letters", "replay", "--consumer", "quota-rounds")
    found, sent_back = await letters(stack.bootstrap_servers)
    (old,) = [f for f in found if f.headers.get("ce_id") == forgotten.id]
    (new,) = [f for f in found if f.headers.get("ce_id") == fresh.id]
    assert "replayed 1 event(s)" in output
    assert f"{old.id}: left alone, its event is older than the inboxes remember" in output
    assert new.id in sent_back and old.id not in sent_back
