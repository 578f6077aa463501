"""What the product puts on the broker is CloudEvents as the SDK reads them: a partner gets a key and a
webhook and submits applications to intake, eligibility decides them, and every record their outbox
relays published converts with the CloudEvents SDK's Kafka binding into the event the product meant
to send (its outbox row): id, source, type, subject, time, key, correlation and data."""

import copy
import json
import uuid

import asyncpg
import httpx
import pytest
from aiokafka import ConsumerRecord
from cloudevents.core.base import BaseCloudEvent

from services.eligibility.main import create_app
from shared.messaging.envelope import Envelope
from tests.books import EXAMPLES
from tests.builders import applicant_code
from tests.cloudevents_sdk import assert_same, read
from tests.kafka_tools import eventually, read_until

pytestmark = pytest.mark.integration

# What the flow below makes the product publish, and who publishes each.
PUBLISHED = {
    "subsidy.api-key.issued.v1": "/subsidy/intake",
    "subsidy.webhook.registered.v2": "/subsidy/intake",
    "subsidy.application.submitted.v1": "/subsidy/intake",
    "subsidy.decision.made.v1": "/subsidy/eligibility",
    "subsidy.award.granted.v1": "/subsidy/eligibility",
    "subsidy.candidate.admitted.v2": "/subsidy/eligibility",
}


@pytest.fixture(scope="module")
async def eligibility(stack):
    runtime = create_app(stack.settings("eligibility")).state.runtime
    await runtime.start()
    yield runtime
    await runtime.stop()


async def published_rows(stack) -> list[Envelope]:
    """Every event intake's and eligibility's outboxes owed and their relays have published, as owed."""
    db = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    try:
        rows = [
            row
            for schema in ("intake", "eligibility")
            for row in await db.fetch(f"SELECT key, value, headers FROM {schema}.outbox WHERE published_at IS NOT NULL")
        ]
    finally:
        await db.close()
    return [
        Envelope.from_record(r["key"].encode(), r["value"], [(k, v.encode()) for k, v in json.loads(r["headers"])])
        for r in rows
    ]


async def test_every_record_the_product_publishes_converts_with_the_cloudevents_sdk(stack, intake, eligibility):
    partner = f"ce-{uuid.uuid4().hex[:8]}"
    key = await stack.key(partner=partner)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=intake.url, timeout=10) as client:
        hook = {"url": "https://93.184.215.14/hook", "secret": "s" * 32}
        assert (await client.put("/v1/partners/me/webhook", headers=headers, json=hook)).status_code == 200
        for n, clause in enumerate(("1.1-node", "2.4-typical-case")):
            application = copy.deepcopy(EXAMPLES[clause])
            application["applicant"]["credit_code"] = applicant_code(900 + n)
            sent = await client.post(
                "/v1/applications", json=application, headers=headers | {"Idempotency-Key": partner + clause}
            )
            assert sent.status_code == 202, sent.text

    async def all_published():
        rows = await published_rows(stack)
        return rows if {e.type for e in rows} >= set(PUBLISHED) else None

    owed = await eventually(all_published, timeout_s=30)
    converted: dict[str, BaseCloudEvent] = {}
    for topic in {_topic(e) for e in owed}:
        on_topic = {e.id: e for e in owed if _topic(e) == topic}
        for record in await records_of(stack, topic, set(on_topic)):
            event = read(record.key, record.value, record.headers)
            assert_same(event, on_topic[event.get_id()])
            converted[event.get_id()] = event
    assert set(converted) == {e.id for e in owed}
    assert {e.get_type() for e in converted.values()} >= set(PUBLISHED)
    for event in converted.values():
        assert event.get_source() == PUBLISHED.get(event.get_type(), event.get_source())
    # Eligibility's events answer intake's: the SDK sees the chain in their extensions.
    submitted = {e.get_id(): e for e in converted.values() if e.get_type() == "subsidy.application.submitted.v1"}
    for event in converted.values():
        if event.get_source() == "/subsidy/eligibility":
            cause = submitted[event.get_extension("causationid")]
            data = cause.get_data()
            assert isinstance(data, dict) and event.get_subject() == cause.get_subject() == data["application_id"]
            assert event.get_extension("correlationid") == cause.get_extension("correlationid")


async def records_of(stack, topic: str, ids: set[str]) -> list[ConsumerRecord]:
    """The topic's records of these events, as Kafka hands them to any consumer (key, value, headers)."""

    def found(records: list[ConsumerRecord]) -> bool:
        return ids <= {_ce_id(r) for r in records}

    return [r for r in await read_until(stack.bootstrap_servers, topic, found) if _ce_id(r) in ids]


def _topic(event: Envelope) -> str:
    return type(event.payload()).topic


def _ce_id(record: ConsumerRecord) -> str:
    return dict(record.headers)["ce_id"].decode()
