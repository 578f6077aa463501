"""The quota is never exceeded: two quota processes on one database, admin calls racing on both."""

import asyncio
import uuid

import asyncpg
import httpx
import pytest

from tests.integration.conftest import quota_process
from tests.selection_tools import auth, beijing, key_works, prepare_round, uniform

pytestmark = pytest.mark.integration
ROUND = "/v1/rounds/2.3-alliance-chain/2024"


@pytest.fixture(scope="module")
def replicas(stack, quota_clock, tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("logs")
    procs = [quota_process(stack, quota_clock, log_dir).start() for _ in range(2)]
    for p in procs:
        p.wait_ready()
    yield procs
    for p in procs:
        p.stop()


@pytest.fixture(scope="module")
async def keys(stack, intake, replicas):
    made = {"admin": await stack.key(role="admin"), "judge": await stack.key(partner="judge", role="reviewer")}
    for replica in replicas:
        async with httpx.AsyncClient(base_url=replica.url) as client:
            for key in made.values():
                await key_works(client, key)
    return made


@pytest.fixture(scope="module")
async def db(stack):
    conn = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    yield conn
    await conn.close()


async def held_slots(db) -> list:
    return await db.fetch(
        "SELECT slot, application_id::text AS a FROM quota.slots s JOIN quota.rounds r "
        "ON r.id = s.round_id WHERE r.clause = '2.3-alliance-chain' AND r.year = 2024"
    )


async def test_two_replicas_asked_to_rank_at_once_rank_once_within_the_quota(stack, replicas, keys, quota_clock, db):
    a, b = (httpx.AsyncClient(base_url=r.url, timeout=30) for r in replicas)
    ids = await prepare_round(
        a,
        stack.bootstrap_servers,
        quota_clock,
        keys["admin"],
        {"judge": keys["judge"]},
        "2.3-alliance-chain",
        2024,
        [90 - n for n in range(12)],
        upto="in_review",
    )
    for application_id, n in zip(ids, range(12), strict=False):
        r = await a.put(
            f"{ROUND}/candidates/{application_id}/review",
            headers=auth(keys["judge"]),
            json={"scores": uniform("2.3-alliance-chain", 90 - n), "submit": True},
        )
        assert r.status_code == 200, r.text
    answers = await asyncio.gather(
        *[
            c.post(f"{ROUND}/transitions", headers=auth(keys["admin"]), json={"state": "ranked"})
            for c in (a, b, a, b, a, b)
        ]
    )
    assert sorted(r.status_code for r in answers) == [200] + [409] * 5
    assert {r.json()["error"]["code"] for r in answers if r.status_code == 409} == {"invalid_transition"}
    slots = await held_slots(db)
    assert sorted(s["slot"] for s in slots) == list(range(1, 11))
    assert sorted(s["a"] for s in slots) == sorted(ids[:10])
    await a.aclose()
    await b.aclose()


async def test_objections_upheld_at_once_on_two_replicas_promote_each_alternate_once_and_never_exceed_the_quota(
    replicas, keys, quota_clock, db
):
    a, b = (httpx.AsyncClient(base_url=r.url, timeout=30) for r in replicas)
    quota_clock.set(beijing("2024-09-27T10:00:00"))
    assert (
        await a.post(f"{ROUND}/transitions", headers=auth(keys["admin"]), json={"state": "in_notice"})
    ).status_code == 200
    ranking = (await a.get(f"{ROUND}/ranking", headers=auth(keys["admin"]))).json()
    targets = [r["application_id"] for r in ranking[:6]]
    filed = []
    for n, application_id in enumerate(targets):
        r = await (a, b)[n % 2].post(
            "/v1/notices/2.3-alliance-chain/2024/objections",
            json={
                "application_id": application_id,
                "name": f"公众{n}号",
                "contact": f"1380000000{n}",
                "reason": "申报材料与实际情况不符，请核查。",
            },
        )
        assert r.status_code == 201, r.text
        filed.append(r.json()["id"])

    peak = 0
    racing = True

    async def watch():
        nonlocal peak
        while racing:
            peak = max(peak, len(await held_slots(db)))
            await asyncio.sleep(0)

    watcher = asyncio.create_task(watch())
    decisions = await asyncio.gather(
        *[
            (a, b)[n % 2].post(
                f"{ROUND}/objections/{objection}/decision",
                headers=auth(keys["admin"]),
                json={"decision": "upheld", "reason": "经核查，异议成立。"},
            )
            for n, objection in enumerate(filed)
        ]
    )
    racing = False
    await watcher
    assert [d.status_code for d in decisions] == [200] * 6, [d.text for d in decisions]

    slots = await held_slots(db)
    assert peak <= 10 and len(slots) == 10 - 6 + 2  # two alternates, two promotions
    holders = {s["a"] for s in slots}
    assert len(holders) == len(slots)
    assert holders == {r["application_id"] for r in ranking[6:12]}
    ranking = (await a.get(f"{ROUND}/ranking", headers=auth(keys["admin"]))).json()
    assert [r["standing"] for r in ranking] == ["removed"] * 6 + ["proposed"] * 6
    round_now = (await a.get(ROUND, headers=auth(keys["admin"]))).json()
    assert [n["kind"] for n in round_now["notices"]] == ["initial", "promotion", "promotion"]
    await a.aclose()
    await b.aclose()


async def test_the_database_itself_refuses_a_slot_beyond_the_quota(db):
    round_id, quota = await db.fetchrow("SELECT id, quota FROM quota.rounds WHERE clause = '2.3-alliance-chain'")
    spare = await db.fetchval("SELECT application_id FROM quota.candidates WHERE standing = 'removed' LIMIT 1")
    with pytest.raises(asyncpg.CheckViolationError, match="ck_slots_within_quota"):
        await db.execute("INSERT INTO quota.slots VALUES ($1, $2, $3, $4)", round_id, quota, quota + 1, spare)
    with pytest.raises(asyncpg.ForeignKeyViolationError, match="fk_slots_round_quota"):
        await db.execute("INSERT INTO quota.slots VALUES ($1, $2, $3, $4)", round_id, quota + 1, quota + 1, spare)
    taken = await db.fetchval("SELECT min(slot) FROM quota.slots WHERE round_id = $1", round_id)
    with pytest.raises(asyncpg.UniqueViolationError):
        await db.execute("INSERT INTO quota.slots VALUES ($1, $2, $3, $4)", round_id, quota, taken, spare)
    assert uuid.UUID(str(round_id))
