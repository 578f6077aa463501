"""The operators' port answers the on-call questions, with figures that are right however many
worker processes a service runs."""

import asyncio
from pathlib import Path

import asyncpg
import httpx
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from services.payout.main import create_app
from shared import topics
from shared.stack import ServiceProcess, free_port
from tests import builders
from tests.kafka_tools import eventually, headers, publish, read_until, send_raw

pytestmark = pytest.mark.integration


def sample(text: str, name: str, **labels) -> float:
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


async def test_requests_answered_by_two_workers_are_all_counted_on_the_operators_port(stack, tmp_path):
    metrics_dir = tmp_path / "metrics"
    intake = ServiceProcess(
        "intake",
        free_port(),
        {**stack.env(), "HTTP_WORKERS": "2", "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)},
        tmp_path / "intake.log",
    ).start()
    try:
        await asyncio.to_thread(intake.wait_ready)
        async with httpx.AsyncClient() as admin:

            async def answered() -> float:
                text = (await admin.get(f"{intake.admin_url}/metrics")).text
                return sample(text, "subsidy_http_requests_total", service="intake", status_class="2xx")

            before = await answered()
            for _ in range(60):  # a connection each, so that both workers answer some
                async with httpx.AsyncClient() as partner:
                    assert (await partner.get(f"{intake.url}/healthz")).status_code == 200
            async with httpx.AsyncClient() as partner:
                assert (await partner.get(f"{intake.url}/v1/applications/nope")).status_code == 401
            # Whichever worker answers the scrape, it adds up both.
            assert [await answered() - before for _ in range(5)] == [60] * 5
            text = (await admin.get(f"{intake.admin_url}/metrics")).text
            assert sample(text, "subsidy_http_requests_total", service="intake", status_class="4xx") >= 1
            assert sample(text, "subsidy_http_request_duration_seconds_count", service="intake") >= 61
        writers = {p.name.rsplit("_", 1)[-1] for p in Path(metrics_dir).glob("counter_*.db")}
        assert len(writers) == 2, writers  # both workers counted into the shared directory
    finally:
        intake.stop()


async def test_a_dead_letter_an_outbox_backlog_and_lag_show_in_the_metrics(stack):
    runtime = create_app(stack.settings("payout")).state.runtime
    dead_before = (
        REGISTRY.get_sample_value("subsidy_dead_letters_total", {"consumer": "payout-ledger", "type": "unknown"}) or 0
    )
    await runtime.start()
    try:
        await send_raw(stack.bootstrap_servers, topics.AWARDS, (b"k", b"not an event", []))
        await publish(stack.bootstrap_servers, topics.AWARDS, builders.award("91510100MA61R8XN3X", "10.00"))
        await read_until(
            stack.bootstrap_servers,
            topics.DEAD_LETTERS,
            lambda rs: any(headers(r).get("dlt_consumer") == "payout-ledger" for r in rs),
        )

        async def counted():
            return (
                REGISTRY.get_sample_value(
                    "subsidy_dead_letters_total", {"consumer": "payout-ledger", "type": "unknown"}
                )
                or 0
            ) > dead_before

        await eventually(counted)

        async def caught_up():  # every partition this member owns reports, the award's at zero
            lags = [
                REGISTRY.get_sample_value(
                    "subsidy_consumer_lag", {"consumer": "payout-ledger", "topic": topics.AWARDS, "partition": str(p)}
                )
                for p in range(topics.PARTITIONS)
            ]
            return None not in lags and not any(lags)

        await eventually(caught_up)

        async def outbox_empty():
            return REGISTRY.get_sample_value("subsidy_outbox_oldest_unpublished_seconds", {"schema": "payout"}) == 0

        await eventually(outbox_empty)
    finally:
        await runtime.stop()


async def test_table_sizes_and_rows_pruned_show_on_the_operators_port(stack, tmp_path):
    db = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    try:  # three events handled long before the inbox's retention (14 days)
        await db.executemany(
            "INSERT INTO intake.inbox (consumer, event_id, processed_at) "
            "VALUES ('old', $1, now() - interval '60 days')",
            [(f"e-{n}",) for n in range(3)],
        )
    finally:
        await db.close()
    env = {**stack.env(), "RETENTION_INTERVAL_S": "0.2"}
    intake = ServiceProcess("intake", free_port(), env, tmp_path / "intake.log").start()
    try:
        await asyncio.to_thread(intake.wait_ready)
        async with httpx.AsyncClient() as admin:

            async def measured():
                text = (await admin.get(f"{intake.admin_url}/metrics")).text
                pruned = sample(text, "subsidy_rows_pruned_total", schema="intake", table="inbox")
                return pruned == 3 and "subsidy_table_bytes{" in text and text  # pruned, then measured

            text = await eventually(measured)
        for table in ("inbox", "outbox", "applications"):
            assert sample(text, "subsidy_table_bytes", schema="intake", table=table) > 0
            rows = [
                s.value
                for f in text_string_to_metric_families(text)
                for s in f.samples
                if s.name == "subsidy_table_rows" and s.labels == {"schema": "intake", "table": table}
            ]
            assert len(rows) == 1 and rows[0] >= 0
    finally:
        intake.stop()
