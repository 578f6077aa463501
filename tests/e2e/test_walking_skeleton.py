"""One application travels through all five services, each its own process, over the broker."""

import asyncio
import json
import time
import uuid

import asyncpg
import httpx
import pytest

from services.notify.signature import verify
from shared.statuses import STAGE
from tests.books import EXAMPLES
from tests.money_tools import fund, payee_for, verified

pytestmark = pytest.mark.e2e


async def status_of(
    client: httpx.AsyncClient, location: str, wanted: str, timeout_s: float = 30, seen: tuple[str, ...] = ()
) -> dict:
    """The application once it has reached `wanted` (or gone past it: the payout request follows at once)
    and its timeline shows the steps `seen` (events on other topics may be read later than the award)."""
    async with asyncio.timeout(timeout_s):
        while STAGE[(body := (await client.get(location)).json())["status"]] < STAGE[wanted] or not set(seen) <= {
            step["status"] for step in body["timeline"]
        }:
            await asyncio.sleep(0.1)
    return body


async def test_a_node_application_is_decided_awarded_paid_and_notified(services, stack):
    application = EXAMPLES["1.1-node"] | {
        "facts": EXAMPLES["1.1-node"]["facts"] | {"node_id": f"N-{uuid.uuid4()}", "investment_cost": "4000000.00"},
        "payee": payee_for(EXAMPLES["1.1-node"]["applicant"]["name"]),
    }
    await fund(stack.database_url)
    key = await stack.key()
    async with httpx.AsyncClient(base_url=services["intake"].url, headers={"Authorization": f"Bearer {key}"}) as client:
        response = await client.post(
            "/v1/applications", json=application, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        assert response.status_code == 202, response.text
        followed = await status_of(
            client, response.headers["Location"], "paid", seen=("eligible", "awarded", "payout_requested", "paid")
        )

    assert [step["status"] for step in followed["timeline"]][:1] == ["submitted"]
    statuses = {step["status"]: step["detail"] for step in followed["timeline"]}
    assert statuses["eligible"]["amount"] == "800000.00"
    assert statuses["awarded"]["amount"] == "800000.00"

    db = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    try:
        app_id = uuid.UUID(followed["id"])
        payouts = await db.fetch("SELECT amount, status FROM payout.payouts WHERE application_id=$1", app_id)
        assert [(str(p["amount"]), p["status"]) for p in payouts] == [("800000.00", "paid")]
        assert (await verified(stack.database_url)).problem is None
        notified = await _eventually(
            lambda: db.fetch("SELECT about, message_en FROM notify.notifications WHERE application_id=$1", app_id), 4
        )
        assert {n["about"] for n in notified} == {
            "subsidy.decision.made.v1",
            "subsidy.award.granted.v1",
            "subsidy.payout.requested.v2",
            "subsidy.payout.paid.v2",
        }
        assert any("800,000.00" in n["message_en"] for n in notified)
    finally:
        await db.close()


async def _eventually(fetch, count, timeout_s=20):
    async with asyncio.timeout(timeout_s):
        while len(rows := await fetch()) < count:
            await asyncio.sleep(0.1)
    return rows


async def test_a_partner_webhook_hears_its_application_move_signed_with_its_secret(services, stack, receiver):
    partner, secret = f"portal-{uuid.uuid4().hex[:8]}", f"whsec-{uuid.uuid4().hex}"
    key = await stack.key(partner=partner)
    async with httpx.AsyncClient(base_url=services["intake"].url, headers={"Authorization": f"Bearer {key}"}) as client:
        registered = await client.put("/v1/partners/me/webhook", json={"url": receiver.url, "secret": secret})
        assert registered.status_code == 200
        application = EXAMPLES["1.1-node"] | {"facts": EXAMPLES["1.1-node"]["facts"] | {"node_id": f"N-{uuid.uuid4()}"}}
        submitted = await client.post(
            "/v1/applications", json=application, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        async with asyncio.timeout(30):
            while len(receiver.received) < 3:
                await asyncio.sleep(0.1)
        followed = await status_of(client, submitted.headers["Location"], "awarded", seen=("eligible", "awarded"))
    bodies = [json.loads(r.body) for r in receiver.received]
    statuses = [b["status"] for b in bodies]
    assert {"eligible", "awarded"} <= set(statuses)
    money = {"awaiting_budget", "payout_held", "payout_requested", "paid"}
    assert set(statuses) - {"eligible", "awarded"} <= money and set(statuses) & money  # the money's first step
    assert {b["application_id"] for b in bodies} == {submitted.json()["id"]}
    # The partner reads the same detail in its webhook as on the application's timeline.
    on_timeline = {step["status"]: step["detail"] for step in followed["timeline"]}
    told = {b["status"]: b["detail"] for b in bodies if b["status"] in ("eligible", "awarded")}
    assert told == {status: on_timeline[status] for status in ("eligible", "awarded")}
    for r in receiver.received:
        assert verify(secret, r.headers["x-subsidy-signature"], r.body, now=int(time.time()))
        assert not verify("another secret", r.headers["x-subsidy-signature"], r.body, now=int(time.time()))


async def test_every_service_reports_health_readiness_and_metrics(services):
    async with httpx.AsyncClient() as client:
        for name, proc in services.items():
            assert (await client.get(f"{proc.url}/healthz")).json() == {"status": "ok"}, name
            assert (await client.get(f"{proc.url}/readyz")).json() == {"status": "ready"}, name
            assert (await client.get(f"{proc.url}/metrics")).status_code == 404, name  # not on the API's port…
            metrics = (await client.get(f"{proc.admin_url}/metrics")).text  # …but on the operators' own
            assert "subsidy_outbox_published_total" in metrics, name
            if name != "console":  # the console consumes nothing
                assert "subsidy_events_consumed_total" in metrics, name
            loops = (await client.get(f"{proc.admin_url}/loops")).json()
            assert loops["status"] == "ok" and all(loop["running"] for loop in loops["loops"]), name
