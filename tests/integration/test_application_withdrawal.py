"""Withdrawing an application at intake: the partner that submitted it or an official, once, with
who and why recorded and one event owed; refused once the application is over."""

import copy
import uuid

import asyncpg
import httpx
import pytest

from tests.books import EXAMPLES

pytestmark = pytest.mark.integration


OFFICIAL = f"official-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
async def keys(stack):
    return {
        "partner": await stack.key(),
        "other": await stack.key(),
        "admin": await stack.key(partner=OFFICIAL, role="admin"),
        "reviewer": await stack.key(role="reviewer"),
    }


@pytest.fixture
async def client(intake):
    async with httpx.AsyncClient(base_url=intake.url, timeout=10) as c:
        yield c


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


async def submitted(client, key: str) -> str:
    app = copy.deepcopy(EXAMPLES["1.1-node"])
    app["facts"]["node_id"] = f"W-{uuid.uuid4().hex[:8]}"
    r = await client.post("/v1/applications", json=app, headers=auth(key) | {"Idempotency-Key": str(uuid.uuid4())})
    assert r.status_code == 202, r.text
    return r.json()["id"]


async def sql(stack, query: str, *args):
    db = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    try:
        return await db.fetchval(query, *args)
    finally:
        await db.close()


async def owed_withdrawals(stack, app_id: str) -> int:
    return await sql(
        stack,
        "SELECT count(*) FROM intake.outbox WHERE topic = 'subsidy.applications' "
        "AND headers::text LIKE '%subsidy.application.withdrawn.v1%' AND headers::text LIKE '%' || $1 || '%'",
        app_id,
    )


async def test_a_partner_withdraws_its_own_application_once_and_asking_again_answers_the_same(stack, client, keys):
    app_id = await submitted(client, keys["partner"])
    first = await client.post(
        f"/v1/applications/{app_id}/withdrawal", json={"reason": "项目已终止"}, headers=auth(keys["partner"])
    )
    assert first.status_code == 200, first.text
    assert first.json()["reason"] == "项目已终止" and first.json()["application_id"] == app_id
    again = await client.post(
        f"/v1/applications/{app_id}/withdrawal", json={"reason": "项目已终止"}, headers=auth(keys["partner"])
    )
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await owed_withdrawals(stack, app_id) == 1
    other = await client.post(
        f"/v1/applications/{app_id}/withdrawal", json={"reason": "另一个理由"}, headers=auth(keys["partner"])
    )
    assert other.status_code == 409 and other.json()["error"]["code"] == "already_withdrawn"

    # The step is taken with the withdrawal itself, once, not when its event comes back.
    read = (await client.get(f"/v1/applications/{app_id}", headers=auth(keys["partner"]))).json()
    assert read["status"] == "withdrawn"
    (step,) = [s for s in read["timeline"] if s["status"] == "withdrawn"]
    assert step["detail"] == {"reason": "项目已终止", "by": first.json()["by"]}


async def test_another_partner_cannot_withdraw_it_and_a_reviewer_may_not_withdraw(stack, client, keys):
    app_id = await submitted(client, keys["partner"])
    body = {"reason": "not mine"}
    r = await client.post(f"/v1/applications/{app_id}/withdrawal", json=body, headers=auth(keys["other"]))
    assert r.status_code == 404
    r = await client.post(f"/v1/applications/{app_id}/withdrawal", json=body, headers=auth(keys["reviewer"]))
    assert r.status_code == 403
    assert await owed_withdrawals(stack, app_id) == 0


async def test_an_official_withdraws_any_application_and_is_named_as_who(stack, client, keys):
    app_id = await submitted(client, keys["partner"])
    r = await client.post(
        f"/v1/applications/{app_id}/withdrawal",
        json={"reason": "applicant asked by phone"},
        headers=auth(keys["admin"]),
    )
    assert r.status_code == 200, r.text
    assert r.json()["by"] == OFFICIAL
    assert (
        await sql(stack, "SELECT by FROM intake.withdrawals WHERE application_id = $1", uuid.UUID(app_id)) == OFFICIAL
    )


async def test_an_application_that_is_over_cannot_be_withdrawn(stack, client, keys):
    app_id = await submitted(client, keys["partner"])
    await sql(stack, "UPDATE intake.applications SET status = 'paid', stage = 5 WHERE id = $1", uuid.UUID(app_id))
    r = await client.post(f"/v1/applications/{app_id}/withdrawal", json={"reason": "x"}, headers=auth(keys["partner"]))
    assert r.status_code == 409
    error = r.json()["error"]
    assert error["code"] == "application_final" and "paid" in error["message_en"] and "paid" in error["message_zh"]
    assert await owed_withdrawals(stack, app_id) == 0


@pytest.mark.parametrize(
    "body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}, {"reason": "x", "y": 1}]
)
async def test_a_withdrawal_without_a_reason_is_refused_naming_the_resource(client, keys, body):
    app_id = await submitted(client, keys["partner"])
    r = await client.post(f"/v1/applications/{app_id}/withdrawal", json=body, headers=auth(keys["partner"]))
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_application_withdrawal" and error["fields"]
    assert error["message_zh"].startswith("撤回申请")
