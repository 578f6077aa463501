"""A partner's webhook secret is never in clear outside the partner's request: not in the event
intake publishes, not in intake's outbox, not in notify's table; and deliveries are still signed
with it. Intake and notify run as their own processes, allowed (as in development) to reach the
test's local receiver."""

import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import httpx
import pytest

from services.notify.signature import verify
from shared import topics
from shared.events import ApplicationSubmittedV1, DecisionMadeV1, WebhookRegisteredV2
from shared.messaging.envelope import Envelope
from shared.secretbox import SecretBox
from shared.stack import ServiceProcess, free_port
from tests.conftest import SECRETS_KEY
from tests.kafka_tools import eventually, headers, publish, read_until

pytestmark = pytest.mark.integration
CREDIT_CODE = "91510100MA61R8XN39"
DEVELOPMENT = {"WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"}


@pytest.fixture(scope="module")
def services(stack, tmp_path_factory):
    logs = tmp_path_factory.mktemp("logs")
    procs = [
        ServiceProcess(name, free_port(), stack.env() | DEVELOPMENT, logs / f"{name}.log").start()
        for name in ("intake", "notify")
    ]
    for proc in procs:
        proc.wait_ready()
    yield dict(zip(("intake", "notify"), procs, strict=False))
    for proc in procs:
        proc.stop()


async def query(stack, sql: str, *args) -> list:
    db = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    try:
        return await db.fetch(sql, *args)
    finally:
        await db.close()


async def test_the_secret_is_sealed_in_the_event_and_in_both_tables_and_deliveries_are_signed_with_it(
    stack, services, receiver
):
    partner, secret = f"portal-{uuid.uuid4().hex[:8]}", f"whsec_{uuid.uuid4().hex}"
    key = await stack.key(partner=partner)
    async with httpx.AsyncClient(base_url=services["intake"].url, timeout=10) as client:
        r = await client.put(
            "/v1/partners/me/webhook",
            headers={"Authorization": f"Bearer {key}"},
            json={"url": receiver.url, "secret": secret},
        )
    assert r.status_code == 200

    def registration(r):  # the partner's key was announced on the same topic
        return r.key == partner.encode() and headers(r)["ce_type"] == WebhookRegisteredV2.ce_type

    records = await read_until(stack.bootstrap_servers, topics.PARTNERS, lambda rs: any(map(registration, rs)))
    [event] = filter(registration, records)
    assert secret.encode() not in event.value and all(secret.encode() not in v for _, v in event.headers)
    sealed = WebhookRegisteredV2.model_validate_json(event.value).secret_ciphertext
    assert SecretBox(SECRETS_KEY).open(sealed) == secret

    [kept] = await eventually(lambda: query(stack, "SELECT * FROM notify.webhooks WHERE partner_id = $1", partner))
    assert all(secret not in str(value) for value in kept.values())
    assert SecretBox(SECRETS_KEY).open(kept["secret_ciphertext"]) == secret
    outbox = await query(stack, "SELECT value FROM intake.outbox")
    assert outbox and all(secret.encode() not in row["value"] for row in outbox)

    application_id = uuid.uuid4()
    await publish(
        stack.bootstrap_servers,
        topics.APPLICATIONS,
        Envelope.of(
            ApplicationSubmittedV1(
                application_id=application_id, partner_id=partner, submitted_at=datetime.now(UTC), application={}
            ),
            source="/test",
            key=CREDIT_CODE,
            subject=str(application_id),
        ),
    )
    await publish(
        stack.bootstrap_servers,
        topics.DECISIONS,
        Envelope.of(
            DecisionMadeV1(
                decision_id=uuid.uuid4(),
                application_id=application_id,
                credit_code=CREDIT_CODE,
                clause="1.1-node",
                outcome="eligible",
                amount=Decimal("800000.00"),
                reasons=[],
                trace=[],
                policy_version="v",
                policy_hash="h",
                decided_at=datetime.now(UTC),
            ),
            source="/test",
            key=CREDIT_CODE,
            subject=str(application_id),
        ),
    )

    [post] = await eventually(lambda: _now(receiver.received), timeout_s=30)
    assert verify(secret, post.headers["x-subsidy-signature"], post.body, now=time.time())
    assert str(application_id).encode() in post.body


async def _now(value):
    return value
