"""The relay publishes one key's events in the order they were committed."""

import uuid

import pytest

from services.quota.main import create_app
from shared import topics
from shared.events import SelectionConcludedV1
from tests.kafka_tools import headers, read_until

pytestmark = pytest.mark.integration


async def test_events_of_one_key_reach_their_partition_in_commit_order(stack):
    runtime = create_app(stack.settings("quota")).state.runtime
    key = f"2.4-typical-case:{uuid.uuid4().hex[:6]}"
    subjects = [f"{key}#{n:03d}" for n in range(60)]
    await runtime.start()
    try:
        for subject in subjects:  # one transaction each, as separate handlers would commit them
            async with runtime.wiring.sessions.begin() as session:
                await runtime.wiring.publisher.publish(
                    session,
                    runtime.wiring.publisher.event(
                        SelectionConcludedV1(
                            application_id=uuid.uuid4(),
                            credit_code="91510100MA61R8XN39",
                            clause="2.4-typical-case",
                            year=2024,
                            selected=True,
                            rank=1,
                            reason="test",
                        ),
                        key=key,
                        subject=subject,
                    ),
                )
            if int(subject[-3:]) % 7 == 0:
                runtime.relay.wake()  # some go out alone, others in batches
        records = await read_until(
            stack.bootstrap_servers,
            topics.SELECTIONS,
            lambda rs: sum(r.key == key.encode() for r in rs) >= len(subjects),
        )
    finally:
        await runtime.stop()
    ours = [r for r in records if r.key == key.encode()]
    assert len({r.partition for r in ours}) == 1
    assert [headers(r)["ce_subject"] for r in sorted(ours, key=lambda r: r.offset)] == subjects
