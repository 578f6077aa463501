"""Partners' webhooks: notify, on real PostgreSQL and a real broker, POSTs each status change of a
partner's application to the partner's own HTTP server, signed, retried until it is taken."""

import asyncio
import json
import time
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select

from services.notify.main import create_app
from services.notify.retries import Schedule
from services.notify.signature import verify
from services.notify.tables import application_partners, notifications, webhook_deliveries, webhooks
from services.notify.worker import DeliveryPolicy, settle
from shared import topics
from shared.events import (
    ApplicationSubmittedV1,
    AwardGrantedV1,
    DecisionMadeV1,
    PayoutRequestedV1,
    WebhookRegisteredV1,
    WebhookRegisteredV2,
)
from shared.messaging.envelope import Envelope
from shared.secretbox import SecretBox
from tests.conftest import SECRETS_KEY
from tests.kafka_tools import eventually, publish
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.integration
CREDIT_CODE = "91510100MA61R8XN3X"


@asynccontextmanager
async def notify(stack, retry_s=(0.05,) * 12, **policy):
    quick = DeliveryPolicy(**{"poll_interval_s": 0.05, "schedule": Schedule(retry_s, jitter=0), **policy})
    # The receivers are local: allowed only because development allows it.
    runtime = create_app(stack.settings("notify", webhook_allow_private_targets=True), webhooks=quick).state.runtime
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


def event(payload, key: str, subject: str) -> Envelope:
    return Envelope.of(payload, source="/test", key=key, subject=subject)


def registered(partner_id: str, url: str, secret: str) -> Envelope:
    """What intake publishes: the secret sealed with the key intake and notify share."""
    sealed = SecretBox(SECRETS_KEY).seal(secret) if secret else ""
    return event(
        WebhookRegisteredV2(partner_id=partner_id, url=url, secret_ciphertext=sealed, registered_at=datetime.now(UTC)),
        partner_id,
        partner_id,
    )


def submitted(application_id: uuid.UUID, partner_id: str) -> Envelope:
    return event(
        ApplicationSubmittedV1(
            application_id=application_id, partner_id=partner_id, submitted_at=datetime.now(UTC), application={}
        ),
        CREDIT_CODE,
        str(application_id),
    )


def decided(application_id: uuid.UUID, amount: str = "800000.00") -> Envelope:
    return event(
        DecisionMadeV1(
            decision_id=uuid.uuid4(),
            application_id=application_id,
            credit_code=CREDIT_CODE,
            clause="1.1-node",
            outcome="eligible",
            amount=Decimal(amount),
            reasons=[{"rule": "1.1-node", "passed": True}],
            trace=[],
            policy_version="2026.1",
            policy_hash="h",
            decided_at=datetime.now(UTC),
        ),
        CREDIT_CODE,
        str(application_id),
    )


async def partner_with_webhook(stack, runtime, receiver: Receiver) -> tuple[str, str]:
    """A partner whose registration notify has read, as it has by the time the partner submits
    (see `deliveries.enqueue` for what happens when it lags behind)."""
    partner_id, secret = f"district-{uuid.uuid4().hex[:8]}", f"whsec-{uuid.uuid4().hex}"
    await publish(stack.bootstrap_servers, topics.PARTNERS, registered(partner_id, receiver.url, secret))
    await eventually(lambda: _count(runtime, webhooks, webhooks.c.partner_id == partner_id))
    return partner_id, secret


async def application_decided(stack, partner_id: str) -> tuple[uuid.UUID, Envelope]:
    """An application of the partner, and its decision: two topics, read in either order."""
    application_id = uuid.uuid4()
    decision = decided(application_id)
    await publish(stack.bootstrap_servers, topics.APPLICATIONS, submitted(application_id, partner_id))
    await publish(stack.bootstrap_servers, topics.DECISIONS, decision)
    return application_id, decision


async def deliveries_of(runtime, application_id: uuid.UUID) -> list:
    async with runtime.wiring.sessions() as s:
        return (
            await s.execute(select(webhook_deliveries).where(webhook_deliveries.c.application_id == application_id))
        ).all()


async def settled(runtime, application_id: uuid.UUID, count: int = 1) -> list:
    """The application's deliveries, once `count` of them are no longer pending."""

    async def check():
        rows = await deliveries_of(runtime, application_id)
        return rows if sum(r.status != "pending" for r in rows) >= count else None

    return await eventually(check)


async def test_a_status_change_reaches_the_partner_webhook_signed_with_its_secret(stack, receiver):
    async with notify(stack) as runtime:
        partner_id, secret = await partner_with_webhook(stack, runtime, receiver)
        application_id, decision = await application_decided(stack, partner_id)
        [delivery] = await settled(runtime, application_id)
        await asyncio.sleep(0.3)  # time for a second, wrong, POST to show up

    assert len(receiver.received) == 1
    [post] = receiver.received
    assert verify(secret, post.headers["x-subsidy-signature"], post.body, now=time.time())
    assert not verify("another secret", post.headers["x-subsidy-signature"], post.body, now=time.time())
    assert post.headers["content-type"] == "application/json"
    body = json.loads(post.body)
    assert body == {
        "id": post.headers["x-subsidy-delivery"],
        "type": "application.status_changed",
        "application_id": str(application_id),
        "status": "eligible",
        "event_type": DecisionMadeV1.ce_type,
        "occurred_at": decision.time.isoformat(),
        "detail": {
            "amount": "800000.00",
            "clause": "1.1-node",
            "policy_version": "2026.1",
            "reasons": [{"rule": "1.1-node", "passed": True}],
            "trace": [],
        },
    }
    assert (delivery.status, delivery.attempts, delivery.partner_id) == ("delivered", 1, partner_id)
    assert str(delivery.id) == body["id"] and delivery.url == receiver.url and delivery.delivered_at


async def test_a_refused_delivery_is_retried_with_growing_delays_until_the_partner_takes_it(stack, receiver):
    receiver.answers = [500, 500]
    async with notify(stack, retry_s=(0.2, 0.4, 0.8)) as runtime:
        partner_id, secret = await partner_with_webhook(stack, runtime, receiver)
        application_id, _ = await application_decided(stack, partner_id)
        [delivery] = await settled(runtime, application_id)

    assert (delivery.status, delivery.attempts, delivery.last_error) == ("delivered", 3, None)
    first, second, third = receiver.received
    assert first.body == second.body == third.body  # the same delivery, resent as it was
    assert len({p.headers["x-subsidy-delivery"] for p in receiver.received}) == 1
    assert all(verify(secret, p.headers["x-subsidy-signature"], p.body, now=time.time()) for p in receiver.received)
    assert second.at - first.at >= 0.2 and third.at - second.at >= 0.4  # on the schedule


async def test_a_delivery_the_partner_keeps_refusing_is_given_up_after_the_last_attempt(stack, receiver):
    receiver.answers = [503] * 10
    async with notify(stack, retry_s=(0.05, 0.05)) as runtime:  # three attempts in all
        partner_id, _ = await partner_with_webhook(stack, runtime, receiver)
        application_id, _ = await application_decided(stack, partner_id)
        [delivery] = await settled(runtime, application_id)
        await asyncio.sleep(0.3)  # time for a fourth attempt, which must not come

    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert delivery.last_error.startswith("HTTP 503")
    assert len(receiver.received) == 3


@pytest.mark.parametrize("webhook", ["never registered", "unregistered"])
async def test_a_status_change_owed_to_a_partner_without_a_webhook_is_dropped_after_the_grace(stack, receiver, webhook):
    partner_id = f"association-{uuid.uuid4().hex[:8]}"
    async with notify(stack, registration_grace_s=0.5) as runtime:
        if webhook == "unregistered":
            await publish(
                stack.bootstrap_servers,
                topics.PARTNERS,
                registered(partner_id, receiver.url, "s" * 16),
                registered(partner_id, "", ""),
            )
            await eventually(
                lambda: _count(runtime, webhooks, webhooks.c.partner_id == partner_id, webhooks.c.url == "")
            )
        application_id, _ = await application_decided(stack, partner_id)
        # Both events handled: the applicant was told, and the partner is known…
        await eventually(lambda: _count(runtime, notifications, notifications.c.application_id == application_id))
        await eventually(
            lambda: _count(runtime, application_partners, application_partners.c.application_id == application_id)
        )
        # …and once the grace is over, no delivery remains for the partner.
        await eventually(lambda: _none(deliveries_of(runtime, application_id)))
        await asyncio.sleep(0.3)
        assert await deliveries_of(runtime, application_id) == []
    assert receiver.received == []


async def test_many_changes_owed_to_partners_without_a_webhook_are_settled_together_not_four_at_a_time(stack):
    # Four slots an endpoint are for sending: what cannot be sent is settled in one pass, whatever
    # its number, so that a backlog of it is not looked at again and again.
    policy = DeliveryPolicy(registration_grace_s=60, endpoint_concurrency=4)
    runtime = create_app(stack.settings("notify")).state.runtime
    late, waiting = f"late-{uuid.uuid4().hex[:8]}", f"waiting-{uuid.uuid4().hex[:8]}"
    long_ago = datetime.now(UTC) - timedelta(minutes=5)
    rows = [
        {"id": uuid.uuid4(), "application_id": uuid.uuid4(), "partner_id": partner, "body": b"{}", "created_at": at}
        for partner, at in ((late, long_ago), (waiting, datetime.now(UTC)))
        for _ in range(50)
    ]
    async with runtime.wiring.sessions.begin() as s:
        await s.execute(insert(webhook_deliveries), rows)
    await settle(runtime.wiring.sessions, policy)

    assert await _count(runtime, webhook_deliveries, webhook_deliveries.c.partner_id == late) == 0
    pushed = webhook_deliveries.c.partner_id == waiting, webhook_deliveries.c.next_attempt_at > func.now()
    assert await _count(runtime, webhook_deliveries, *pushed) == 50
    await runtime.wiring.engine.dispose()


async def test_a_status_change_read_before_its_application_waits_for_the_partner_then_is_delivered(stack, receiver):
    async with notify(stack) as runtime:
        partner_id, secret = await partner_with_webhook(stack, runtime, receiver)
        application_id = uuid.uuid4()
        await publish(stack.bootstrap_servers, topics.DECISIONS, decided(application_id))
        [waiting] = await eventually(lambda: deliveries_of(runtime, application_id))
        await asyncio.sleep(0.3)  # the worker passes several times: nowhere to send it yet
        [waiting] = await deliveries_of(runtime, application_id)
        assert (waiting.partner_id, waiting.status, waiting.attempts) == (None, "pending", 0)
        assert receiver.received == []

        await publish(stack.bootstrap_servers, topics.APPLICATIONS, submitted(application_id, partner_id))
        [delivery] = await settled(runtime, application_id)

    assert (delivery.status, delivery.partner_id) == ("delivered", partner_id)
    [post] = receiver.received
    assert verify(secret, post.headers["x-subsidy-signature"], post.body, now=time.time())
    assert json.loads(post.body)["status"] == "eligible"


async def test_a_registration_read_after_the_partners_application_still_gets_its_status_changes(stack, receiver):
    partner_id, secret = f"portal-{uuid.uuid4().hex[:8]}", f"whsec-{uuid.uuid4().hex}"
    async with notify(stack, registration_grace_s=60) as runtime:
        application_id, _ = await application_decided(stack, partner_id)
        await eventually(
            lambda: _count(runtime, application_partners, application_partners.c.application_id == application_id)
        )
        await asyncio.sleep(0.3)  # the worker has looked: no webhook yet, so the change waits
        assert receiver.received == []
        await publish(stack.bootstrap_servers, topics.PARTNERS, registered(partner_id, receiver.url, secret))
        [delivery] = await settled(runtime, application_id)  # long before the grace ends
    assert delivery.status == "delivered"
    [post] = receiver.received
    assert verify(secret, post.headers["x-subsidy-signature"], post.body, now=time.time())


async def test_every_status_reaches_the_partner_and_is_recorded_for_the_applicant(stack, receiver):
    async with notify(stack) as runtime:
        partner_id, _ = await partner_with_webhook(stack, runtime, receiver)
        application_id, award_id = uuid.uuid4(), uuid.uuid4()
        await publish(stack.bootstrap_servers, topics.APPLICATIONS, submitted(application_id, partner_id))
        await publish(
            stack.bootstrap_servers,
            topics.AWARDS,
            event(
                AwardGrantedV1(
                    award_id=award_id,
                    application_id=application_id,
                    credit_code=CREDIT_CODE,
                    clause="1.1-node",
                    amount=Decimal("800000.00"),
                    grants=[],
                    granted_at=datetime.now(UTC),
                ),
                CREDIT_CODE,
                str(application_id),
            ),
        )
        await publish(
            stack.bootstrap_servers,
            topics.PAYOUTS,
            event(
                PayoutRequestedV1(
                    payout_id=uuid.uuid4(),
                    award_id=award_id,
                    application_id=application_id,
                    credit_code=CREDIT_CODE,
                    amount=Decimal("800000.00"),
                    requested_at=datetime.now(UTC),
                ),
                CREDIT_CODE,
                str(application_id),
            ),
        )
        await settled(runtime, application_id, count=2)
        told = await _count(runtime, notifications, notifications.c.application_id == application_id)

    statuses = {json.loads(p.body)["status"]: json.loads(p.body)["detail"] for p in receiver.received}
    assert statuses.keys() == {"awarded", "payout_requested"}
    assert statuses["payout_requested"]["amount"] == "800000.00"
    assert told == 2  # the award, and the request for its payment with the date to expect


async def test_a_registration_published_with_its_secret_in_clear_is_still_honoured_and_kept_sealed(stack, receiver):
    partner_id, secret = f"legacy-{uuid.uuid4().hex[:8]}", f"whsec-{uuid.uuid4().hex}"
    async with notify(stack) as runtime:
        await publish(
            stack.bootstrap_servers,
            topics.PARTNERS,
            event(
                WebhookRegisteredV1(
                    partner_id=partner_id, url=receiver.url, secret=secret, registered_at=datetime.now(UTC)
                ),
                partner_id,
                partner_id,
            ),
        )
        await eventually(lambda: _count(runtime, webhooks, webhooks.c.partner_id == partner_id))
        application_id, _ = await application_decided(stack, partner_id)
        [delivery] = await settled(runtime, application_id)
        async with runtime.wiring.sessions() as s:
            [row] = (await s.execute(select(webhooks).where(webhooks.c.partner_id == partner_id))).all()

    assert secret not in str(row._mapping) and SecretBox(SECRETS_KEY).open(row.secret_ciphertext) == secret
    assert delivery.status == "delivered"
    [post] = receiver.received
    assert verify(secret, post.headers["x-subsidy-signature"], post.body, now=time.time())


async def test_a_redirect_is_not_followed_and_counts_as_a_failed_attempt(stack, receiver):
    elsewhere = f"http://127.0.0.1:{receiver.port}/hooks/subsidy?redirected=1"
    receiver.answers = [(307, {"Location": elsewhere})]
    async with notify(stack, retry_s=()) as runtime:  # one attempt
        partner_id, _ = await partner_with_webhook(stack, runtime, receiver)
        application_id, _ = await application_decided(stack, partner_id)
        [delivery] = await settled(runtime, application_id)

    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.last_error.startswith("HTTP 307")
    assert [p.query for p in receiver.received] == [""]  # the redirect's target was never called


async def test_a_named_host_is_called_on_the_address_checked_with_its_own_name_as_host(stack, receiver):
    named_url = f"http://localhost:{receiver.port}/hooks/subsidy"
    async with notify(stack) as runtime:
        partner_id, secret = f"named-{uuid.uuid4().hex[:8]}", f"whsec-{uuid.uuid4().hex}"
        await publish(stack.bootstrap_servers, topics.PARTNERS, registered(partner_id, named_url, secret))
        await eventually(lambda: _count(runtime, webhooks, webhooks.c.partner_id == partner_id))
        application_id, _ = await application_decided(stack, partner_id)
        [delivery] = await settled(runtime, application_id)

    assert delivery.status == "delivered" and delivery.url == named_url
    [post] = receiver.received
    assert post.headers["host"] == f"localhost:{receiver.port}"
    assert post.client_host == "127.0.0.1"


async def _count(runtime, table, *where) -> int:
    async with runtime.wiring.sessions() as s:
        return (await s.execute(select(func.count()).select_from(table).where(*where))).scalar_one()


async def _none(rows) -> bool:
    return not await rows


async def _now(value):
    return value
