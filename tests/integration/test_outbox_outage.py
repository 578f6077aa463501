"""An application accepted while the broker is down is kept, and its event goes out once it is back."""

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy import select

from services.intake.main import create_app
from services.intake.tables import applications, metadata
from shared import topics
from shared.messaging import kafka
from tests.books import EXAMPLES
from tests.infra import Broker
from tests.kafka_tools import eventually, headers, read_until

pytestmark = pytest.mark.integration
outbox = metadata.tables["intake.outbox"]


async def test_application_accepted_while_the_broker_is_down_is_published_when_it_returns(stack, tmp_path):
    broker = Broker(tmp_path).start()
    await kafka.wait_for_broker(broker.bootstrap_servers)
    await kafka.create_topics(broker.bootstrap_servers)
    settings = stack.settings("intake", kafka_bootstrap_servers=broker.bootstrap_servers, kafka_send_timeout_s=1.0)
    key = await stack.key()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        broker.pause()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://intake") as client:
            response = await client.post(
                "/v1/applications",
                json=EXAMPLES["1.1-node"],
                headers={"Idempotency-Key": str(uuid.uuid4()), "Authorization": f"Bearer {key}"},
            )
            ready = await client.get("/readyz")  # which dependency is away, and nothing of its exception
        assert (ready.status_code, ready.json()) == (503, {"status": "broker unreachable"})
        assert response.status_code == 202, response.text
        application_id = uuid.UUID(response.json()["id"])

        await asyncio.sleep(2)  # the relay tries, and fails, while the broker is away
        async with runtime.wiring.sessions() as s:
            assert (
                await s.execute(select(applications.c.status).where(applications.c.id == application_id))
            ).scalar_one() == "submitted"
            # The partner's key announcement is owed too (on its own topic); the application is what matters.
            owed = (
                await s.execute(select(outbox.c.published_at, outbox.c.topic).where(outbox.c.topic != topics.PARTNERS))
            ).all()
        assert owed == [(None, topics.APPLICATIONS)]

        broker.resume()
        records = await read_until(
            broker.bootstrap_servers,
            topics.APPLICATIONS,
            lambda rs: any(headers(r)["ce_subject"] == str(application_id) for r in rs),
            timeout_s=30,
        )
        assert [headers(r)["ce_type"] for r in records] == ["subsidy.application.submitted.v1"]

        async def marked_published():  # the relay marks the row once the broker has acknowledged it
            async with runtime.wiring.sessions() as s:
                return (
                    await s.execute(select(outbox.c.published_at).where(outbox.c.topic == topics.APPLICATIONS))
                ).scalar_one() is not None

        await eventually(marked_published)
    broker.stop()
