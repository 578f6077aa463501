"""A whole annual selection across the five services, each its own process: twelve alliance chains
compete for ten places; a tie is broken by the clause's chain, a reviewer is recused, an objection is
upheld and the first alternate promoted, the notice spans the National Day holiday, and payout books
each award once."""

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import httpx
import pytest

from shared import topics
from shared.events import AwardGrantedV1
from shared.messaging.envelope import Envelope
from shared.stack import start_services
from tests.kafka_tools import headers, publish, read_until, send_raw
from tests.money_tools import verified
from tests.selection_tools import alliance_chain, auth, beijing, clock, key_works, new_id, until

pytestmark = pytest.mark.e2e
ROUND = "/v1/rounds/2.3-alliance-chain/2024"
# Uniform criterion scores, so a review's score is that number. Entries 4 and 5 tie on 85.
SCORES = [95, 93, 91, 89, 85, 85, 83, 81, 79, 77, 75, 73]


@pytest.fixture(scope="module")
def quota_clock(tmp_path_factory):
    return clock(tmp_path_factory.mktemp("clock") / "now", "2024-09-02T09:00:00")


@pytest.fixture(scope="module")
def services(stack, tmp_path_factory, quota_clock):
    env = {**stack.env(), "QUOTA_CLOCK_FILE": str(quota_clock.path), "QUOTA_TICK_S": "0.3"}
    procs = start_services(env, tmp_path_factory.mktemp("logs"))
    yield procs
    for proc in procs.values():
        proc.stop()


async def state_of(client, admin) -> str:
    return (await client.get(ROUND, headers=auth(admin))).json()["state"]


async def move(client, admin, state, expect=200) -> dict:
    r = await client.post(f"{ROUND}/transitions", json={"state": state}, headers=auth(admin))
    assert r.status_code == expect, r.text
    return r.json()


async def timeline(intake, partner, application_id, *, until_status: str) -> list[dict]:
    """The application's timeline once intake has projected `until_status` (timelines follow the events)."""
    async with httpx.AsyncClient(base_url=intake.url) as c:

        async def reached():
            steps = (await c.get(f"/v1/applications/{application_id}", headers=auth(partner))).json()["timeline"]
            return any(s["status"] == until_status for s in steps) and steps

        return await until(reached)


async def test_twelve_alliance_chains_compete_for_ten_places_through_review_notice_and_objection(
    services, stack, quota_clock
):
    admin = await stack.key(role="admin")
    reviewers = {f"expert-{i}": await stack.key(partner=f"expert-{i}", role="reviewer") for i in range(1, 5)}
    partner = await stack.key()
    quota = httpx.AsyncClient(base_url=services["quota"].url, timeout=15)
    await key_works(quota, admin)
    for key in reviewers.values():
        await key_works(quota, key)

    # An admin opens the round; twelve chains apply before the deadline.
    created = await quota.post(
        "/v1/rounds",
        headers=auth(admin),
        json={"clause": "2.3-alliance-chain", "year": 2024, "deadline": "2024-09-20T17:00:00+08:00"},
    )
    assert created.status_code == 201, created.text
    assert created.json()["quota"] == 10 and created.json()["state"] == "open"
    ids = []
    async with httpx.AsyncClient(base_url=services["intake"].url, headers=auth(partner)) as intake:
        for n in range(12):
            investment = "3000000" if n == 5 else "2000000"  # breaks the tie between entries 4 and 5
            r = await intake.post(
                "/v1/applications", json=alliance_chain(n, investment), headers={"Idempotency-Key": new_id()}
            )
            assert r.status_code == 202, r.text
            ids.append(r.json()["id"])

    async def all_twelve_named():
        listed = (await quota.get(f"{ROUND}/candidates", headers=auth(admin))).json()
        return len(listed) == 12 and all(c["applicant_name"] for c in listed) and listed

    listed = await until(all_twelve_named, 60)
    assert {c["amount"] for c in listed} == {"400000.00", "500000.00"}  # 20% of the investment, at most 500,000

    for reviewer in reviewers:
        assert (await quota.put(f"{ROUND}/panel/{reviewer}", headers=auth(admin))).status_code == 200

    # The deadline passes: the round closes by itself.
    quota_clock.set(beijing("2024-09-21T09:00:00"))
    await until(lambda: _is(state_of(quota, admin), "closed"))
    await move(quota, admin, "in_review")

    # expert-4 is recused from entry 0 and then cannot score it.
    conflict = await quota.put(
        f"{ROUND}/candidates/{ids[0]}/conflict",
        headers=auth(reviewers["expert-4"]),
        json={"reason": "曾为该企业提供技术咨询"},
    )
    assert conflict.status_code == 200, conflict.text
    refused = await quota.put(
        f"{ROUND}/candidates/{ids[0]}/review",
        headers=auth(reviewers["expert-4"]),
        json={"scores": uniform(99), "submit": True},
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "recused"

    for reviewer, key in reviewers.items():
        for n, application_id in enumerate(ids):
            if reviewer == "expert-4" and n == 0:
                continue
            path = f"{ROUND}/candidates/{application_id}/review"
            draft = await quota.put(path, headers=auth(key), json={"scores": {"infrastructure": 50}})
            assert draft.status_code == 200 and draft.json()["status"] == "draft", draft.text
            done = await quota.put(path, headers=auth(key), json={"scores": uniform(SCORES[n]), "submit": True})
            assert done.status_code == 200 and done.json()["status"] == "submitted", done.text
    again = await quota.put(
        f"{ROUND}/candidates/{ids[1]}/review",
        headers=auth(reviewers["expert-1"]),
        json={"scores": uniform(10), "submit": True},
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_submitted"

    await move(quota, admin, "ranked")
    ranking = (await quota.get(f"{ROUND}/ranking", headers=auth(admin))).json()
    order = [ids.index(r["application_id"]) for r in ranking]
    assert order == [0, 1, 2, 3, 5, 4, 6, 7, 8, 9, 10, 11]  # 5 before 4: the tie-break chain
    assert "higher total_investment" in ranking[5]["explanation_en"]
    assert [r["standing"] for r in ranking] == ["proposed"] * 10 + ["waitlisted"] * 2
    assert ranking[0]["score"] == "95.00"

    # Friday 27 September: the notice runs five working days across National Day, to 9 October.
    quota_clock.set(beijing("2024-09-27T10:00:00"))
    noticed = await move(quota, admin, "in_notice")
    assert noticed["notices"][0]["ends_on"] == "2024-10-09"
    public = (await quota.get("/v1/notices")).json()  # no key needed
    assert [p["rank"] for p in public[0]["proposed"]] == list(range(1, 11))

    # Monday 30 September: an objection against rank 3 is upheld; rank 11 is promoted with its own notice.
    quota_clock.set(beijing("2024-09-30T10:00:00"))
    third = ranking[2]["application_id"]
    filed = await quota.post(
        "/v1/notices/2.3-alliance-chain/2024/objections",
        json={
            "application_id": third,
            "name": "张伟",
            "contact": "13800000000",
            "reason": "该联盟链实际节点数不足 4 个，申报材料与事实不符。",
        },
    )
    assert filed.status_code == 201, filed.text
    held = await move(quota, admin, "concluded", expect=409)
    assert held["error"]["code"] in ("notice_running", "objections_open")
    decided = await quota.post(
        f"{ROUND}/objections/{filed.json()['id']}/decision",
        headers=auth(admin),
        json={"decision": "upheld", "reason": "经核查，节点数仅 3 个，不符合入库条件。"},
    )
    assert decided.status_code == 200 and decided.json()["status"] == "upheld", decided.text
    ranking = (await quota.get(f"{ROUND}/ranking", headers=auth(admin))).json()
    eleventh = ranking[10]
    assert eleventh["standing"] == "proposed" and eleventh["slot"] == 3
    assert ranking[2]["standing"] == "removed" and ranking[11]["standing"] == "waitlisted"
    round_now = (await quota.get(ROUND, headers=auth(admin))).json()
    assert [(n["kind"], n["ends_on"]) for n in round_now["notices"]] == [
        ("initial", "2024-10-09"),
        ("promotion", "2024-10-11"),
    ]

    # 10 October: the first notice is over, so objecting to rank 1 is refused; the promotion's runs on.
    quota_clock.set(beijing("2024-10-10T09:00:00"))
    late = await quota.post(
        "/v1/notices/2.3-alliance-chain/2024/objections",
        json={
            "application_id": ranking[0]["application_id"],
            "name": "李娜",
            "contact": "lina@example.cn",
            "reason": "公示结束后才看到，仍想提出异议。",
        },
    )
    assert late.status_code == 409 and late.json()["error"]["code"] == "notice_ended"

    # 12 October: every notice has ended with no open objection; the round concludes by itself.
    quota_clock.set(beijing("2024-10-12T09:00:00"))
    await until(lambda: _is(state_of(quota, admin), "concluded"))
    concluded_again = await move(quota, admin, "concluded", expect=409)
    assert concluded_again["error"]["code"] == "invalid_transition"

    selected = [r["application_id"] for r in ranking if r["standing"] == "proposed"]
    assert len(selected) == 10 and third not in selected and eleventh["application_id"] in selected
    db = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    try:

        async def ten_payouts():
            rows = await db.fetch(
                "SELECT application_id::text AS a, amount FROM payout.awards WHERE clause = '2.3-alliance-chain'"
            )
            return len(rows) >= 10 and rows

        payouts = await until(ten_payouts, 30)
        assert sorted(p["a"] for p in payouts) == sorted(selected)
        amounts = {c["application_id"]: c["amount"] for c in listed}
        assert all(f"{p['amount']:.2f}" == amounts[p["a"]] for p in payouts)
        assert (await verified(stack.database_url)).problem is None

        # Every award delivered again, then a new award behind each of them on the same key: once
        # those are booked, the repeats have been through payout, and booked nothing.
        awards = await read_until(
            stack.bootstrap_servers,
            topics.AWARDS,
            lambda rs: sum(headers(r)["ce_type"] == "subsidy.award.granted.v1" for r in rs) >= 10,
        )
        awards = [r for r in awards if headers(r)["ce_type"] == "subsidy.award.granted.v1"]
        assert {json.loads(r.value)["award_id"] for r in awards} == {
            str(uuid.uuid5(uuid.UUID(a), "award")) for a in selected
        }
        await send_raw(stack.bootstrap_servers, topics.AWARDS, *[(r.key, r.value, list(r.headers)) for r in awards])
        markers = [
            AwardGrantedV1(
                award_id=uuid.uuid4(),
                application_id=uuid.uuid4(),
                credit_code=r.key.decode(),
                clause="4.9-standard",
                amount=Decimal("1.00"),
                grants=[],
                granted_at=datetime.now(UTC),
            )
            for r in awards
        ]
        await publish(
            stack.bootstrap_servers,
            topics.AWARDS,
            *[Envelope.of(m, source="/test", key=m.credit_code, subject="marker") for m in markers],
        )
        await until(
            lambda: _equals(
                db.fetchval(
                    "SELECT count(*) FROM payout.awards WHERE award_id = ANY($1)", [m.award_id for m in markers]
                ),
                len(markers),
            )
        )
        assert await db.fetchval("SELECT count(*) FROM payout.awards WHERE clause = '2.3-alliance-chain'") == 10
        assert (await verified(stack.database_url)).problem is None
    finally:
        await db.close()

    # Applicants follow each step on their timelines.
    first = await timeline(services["intake"], partner, selected[0], until_status="selected")
    steps = [(s["status"], s["detail"]) for s in first]
    statuses = [s for s, _ in steps]
    assert statuses[:2] == ["submitted", "candidate"] and "in_review" in statuses
    assert dict(steps)["in_notice"]["notice_ends_on"] == "2024-10-09"
    assert dict(steps)["selected"]["rank"] == 1
    promoted = await timeline(services["intake"], partner, eleventh["application_id"], until_status="selected")
    assert [s["status"] for s in promoted if s["status"] in ("waitlisted", "in_notice", "selected")] == [
        "waitlisted",
        "in_notice",
        "selected",
    ]
    assert [s["detail"]["notice_ends_on"] for s in promoted if s["status"] == "in_notice"] == ["2024-10-11"]
    removed = await timeline(services["intake"], partner, third, until_status="not_selected")
    assert [s["status"] for s in removed][-3:] == ["objected", "removed", "not_selected"]
    assert "objection upheld" in removed[-1]["detail"]["reason"]
    last = await timeline(services["intake"], partner, ranking[11]["application_id"], until_status="not_selected")
    assert last[-1]["status"] == "not_selected" and "quota of 10 was filled" in last[-1]["detail"]["reason"]
    await quota.aclose()


def uniform(score: int) -> dict:
    return dict.fromkeys(("infrastructure", "applications", "industry_impact", "sme_support"), score)


async def _equals(value, wanted):
    return (await value) == wanted


async def _is(value, wanted):
    return (await value) == wanted
