"""The quota service's rules for a round, over its API, with its events fed the way eligibility and
intake publish them. Keys come from intake's key events, as in production."""

import httpx
import pytest

from services.intake import partners
from shared import topics
from tests.kafka_tools import read_until
from tests.selection_tools import admission, auth, beijing, feed, key_works, prepare_round, uniform, until
from tests.wiring import wired

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def keys(stack, intake, quota):
    made = {"admin": await stack.key(role="admin"), "partner": await stack.key()}
    made |= {f"judge-{i}": await stack.key(partner=f"judge-{i}", role="reviewer") for i in range(1, 4)}
    async with httpx.AsyncClient(base_url=quota.url) as client:
        for name, key in made.items():
            if name != "partner":
                await key_works(client, key)
    return made


@pytest.fixture
async def client(quota):
    async with httpx.AsyncClient(base_url=quota.url, timeout=15) as c:
        yield c


def judges(keys, n=3) -> dict[str, str]:
    return {f"judge-{i}": keys[f"judge-{i}"] for i in range(1, n + 1)}


# --- keys ------------------------------------------------------------------------------------


async def test_keys_issued_rotated_and_revoked_at_intake_are_honoured_by_quota(stack, client, keys):
    first = await stack.key(partner="rotating-admin", role="admin")
    async with wired(stack.database_url, "intake") as intake:
        rotated = await partners.rotate(intake, "rotating-admin")
    await key_works(client, rotated)  # issued after the revocation, on the same key
    assert (await client.get("/v1/rounds", headers=auth(first))).status_code == 401
    assert (await client.get("/v1/rounds", headers=auth(keys["partner"]))).status_code == 403
    assert (await client.get("/v1/rounds")).status_code == 401


# --- lifecycle -------------------------------------------------------------------------------


async def test_an_invalid_transition_is_refused_with_a_clear_error(client, keys, quota_clock):
    quota_clock.set(beijing("2024-09-02T09:00:00"))
    created = await client.post(
        "/v1/rounds",
        headers=auth(keys["admin"]),
        json={"clause": "3.5-leading-enterprise", "year": 2024, "deadline": "2024-09-20T17:00:00+08:00"},
    )
    assert created.status_code == 201
    path = "/v1/rounds/3.5-leading-enterprise/2024"
    skipped = await client.post(f"{path}/transitions", headers=auth(keys["admin"]), json={"state": "ranked"})
    assert skipped.status_code == 409
    assert skipped.json()["error"]["code"] == "invalid_transition"
    assert "open cannot become ranked" in skipped.json()["error"]["message_en"]
    early = await client.post(f"{path}/transitions", headers=auth(keys["admin"]), json={"state": "closed"})
    assert early.status_code == 409 and early.json()["error"]["code"] == "deadline_not_passed"
    twice = await client.post(
        "/v1/rounds",
        headers=auth(keys["admin"]),
        json={"clause": "3.5-leading-enterprise", "year": 2024, "deadline": "2024-09-20T17:00:00+08:00"},
    )
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "round_exists"
    not_selection = await client.post(
        "/v1/rounds",
        headers=auth(keys["admin"]),
        json={"clause": "1.1-node", "year": 2024, "deadline": "2024-09-20T17:00:00+08:00"},
    )
    assert not_selection.status_code == 422
    for role in ("partner", "judge-1"):
        refused = await client.post(f"{path}/transitions", headers=auth(keys[role]), json={"state": "closed"})
        assert refused.status_code == 403


async def test_a_candidate_admitted_after_the_deadline_is_refused_with_the_reason(stack, client, keys, quota_clock):
    ids = await prepare_round(
        client,
        stack.bootstrap_servers,
        quota_clock,
        keys["admin"],
        judges(keys),
        "3.6-demo-base",
        2023,
        [80],
        upto="closed",
        tag="late",
    )
    late_at = beijing("2023-09-25T10:00:00")
    admitted = admission("3.6-demo-base", 2023, 7, submitted_at=late_at, tag="late")
    await feed(stack.bootstrap_servers, admitted)
    records = await read_until(
        stack.bootstrap_servers,
        topics.SELECTIONS,
        lambda rs: any(
            r.value and admitted.subject.encode() in r.value and b"concluded" in dict(r.headers)["ce_type"] for r in rs
        ),
    )
    refusal = next(r for r in records if admitted.subject.encode() in r.value)
    assert b"after the round's deadline 2023-09-20T09:00:00+00:00" in refusal.value
    listed = (await client.get("/v1/rounds/3.6-demo-base/2023/candidates", headers=auth(keys["admin"]))).json()
    assert [c["application_id"] for c in listed] == ids


# --- reviews ---------------------------------------------------------------------------------


async def test_a_recused_reviewer_cannot_score_and_a_submitted_review_cannot_change(stack, client, keys, quota_clock):
    ids = await prepare_round(
        client,
        stack.bootstrap_servers,
        quota_clock,
        keys["admin"],
        judges(keys),
        "3.6-demo-base",
        2024,
        [80, 70],
        upto="in_review",
        tag="rev",
    )
    path = "/v1/rounds/3.6-demo-base/2024/candidates"
    judge = keys["judge-1"]
    declared = await client.put(f"{path}/{ids[0]}/conflict", headers=auth(judge), json={"reason": "曾在该区任职"})
    assert declared.status_code == 200
    refused = await client.put(
        f"{path}/{ids[0]}/review", headers=auth(judge), json={"scores": uniform("3.6-demo-base", 90), "submit": True}
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "recused"

    draft = await client.put(f"{path}/{ids[1]}/review", headers=auth(judge), json={"scores": {"influence": 60}})
    assert draft.json()["status"] == "draft" and draft.json()["score"] is None
    incomplete = await client.put(
        f"{path}/{ids[1]}/review", headers=auth(judge), json={"scores": {"influence": 60}, "submit": True}
    )
    assert incomplete.status_code == 422
    assert {f["field"] for f in incomplete.json()["error"]["fields"]} == {
        "scores.industry_scale",
        "scores.innovation_strength",
    }
    out_of_range = await client.put(
        f"{path}/{ids[1]}/review", headers=auth(judge), json={"scores": {"influence": 101, "charm": 5}}
    )
    assert {f["field"] for f in out_of_range.json()["error"]["fields"]} == {"scores.influence", "scores.charm"}
    submitted = await client.put(
        f"{path}/{ids[1]}/review",
        headers=auth(judge),
        json={"scores": {"industry_scale": 80, "innovation_strength": 70, "influence": 60}, "submit": True},
    )
    assert submitted.json() | {"updated_at": None, "submitted_at": None} == {
        "application_id": ids[1],
        "reviewer_id": "judge-1",
        "status": "submitted",
        "score": "70.50",
        "scores": {"industry_scale": 80, "innovation_strength": 70, "influence": 60},
        "recused": False,
        "updated_at": None,
        "submitted_at": None,
    }
    changed = await client.put(
        f"{path}/{ids[1]}/review", headers=auth(judge), json={"scores": uniform("3.6-demo-base", 99), "submit": True}
    )
    assert changed.status_code == 409 and changed.json()["error"]["code"] == "already_submitted"


async def test_what_each_reviewer_gave_is_visible_to_admins_only(client, keys):
    # Continues the round above: judge-1 scored the second candidate.
    path = "/v1/rounds/3.6-demo-base/2024/candidates"
    listed = (await client.get(path, headers=auth(keys["judge-2"]))).json()
    assert all("reviews_submitted" not in c and "recused" not in c for c in listed)
    assert {c["my_review"] for c in listed} == {"none"}
    second = listed[1]["application_id"]
    assert (await client.get(f"{path}/{second}/reviews", headers=auth(keys["judge-2"]))).json() == []
    seen_by_admin = (await client.get(f"{path}/{second}/reviews", headers=auth(keys["admin"]))).json()
    assert [(r["reviewer_id"], r["score"]) for r in seen_by_admin if r["status"] == "submitted"] == [
        ("judge-1", "70.50")
    ]


async def test_ranking_waits_until_every_candidate_has_enough_reviews(client, keys):
    refused = await client.post(
        "/v1/rounds/3.6-demo-base/2024/transitions", headers=auth(keys["admin"]), json={"state": "ranked"}
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "reviews_missing"
    assert "needs 3 submitted reviews by non-recused reviewers" in refused.json()["error"]["message_en"]


# --- objections and the notice ---------------------------------------------------------------


async def test_an_objection_needs_a_real_name_a_contact_and_a_reason_without_control_characters(
    stack, client, keys, quota_clock
):
    ids = await prepare_round(
        client,
        stack.bootstrap_servers,
        quota_clock,
        keys["admin"],
        judges(keys, 1),
        "2.3-alliance-chain",
        2024,
        [90, 80],
        tag="obj",
        quota=1,
    )
    url = "/v1/notices/2.3-alliance-chain/2024/objections"
    bad = await client.post(url, json={"application_id": ids[0], "name": "张\x07伟", "contact": "1", "reason": "short"})
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["error"]["fields"]} == {"body.name", "body.contact", "body.reason"}
    unreachable = await client.post(
        url,
        json={
            "application_id": ids[0],
            "name": "张伟",
            "contact": "call me maybe",
            "reason": "理由足够长，说明了问题所在。",
        },
    )
    assert [(f["field"], f["message_en"]) for f in unreachable.json()["error"]["fields"]] == [
        ("body.contact", "body.contact: Value error, must be a phone number or an e-mail address")
    ]
    waitlisted = await client.post(
        url,
        json={
            "application_id": ids[1],
            "name": "张伟",
            "contact": "13800000000",
            "reason": "候补对象也想提出异议，看看会怎样。",
        },
    )
    assert waitlisted.status_code == 409 and waitlisted.json()["error"]["code"] == "not_in_notice"
    good = await client.post(
        url,
        json={
            "application_id": ids[0],
            "name": "张伟",
            "contact": "13800000000",
            "reason": "第一行理由。\r\n第二行：附证据链接。",
        },
    )
    assert good.status_code == 201 and good.json()["status"] == "open"


async def test_a_dismissed_objection_puts_its_candidate_back_in_notice(client, keys):
    path = "/v1/rounds/2.3-alliance-chain/2024"
    objection = (await client.get(f"{path}/objections", headers=auth(keys["admin"]))).json()[0]
    ranking = (await client.get(f"{path}/ranking", headers=auth(keys["admin"]))).json()
    assert ranking[0]["standing"] == "held" and ranking[0]["slot"] == 1
    no_reason = await client.post(
        f"{path}/objections/{objection['id']}/decision",
        headers=auth(keys["admin"]),
        json={"decision": "dismissed", "reason": ""},
    )
    assert no_reason.status_code == 422
    dismissed = await client.post(
        f"{path}/objections/{objection['id']}/decision",
        headers=auth(keys["admin"]),
        json={"decision": "dismissed", "reason": "经核查，申报材料属实。"},
    )
    assert dismissed.status_code == 200 and dismissed.json()["decision_reason"] == "经核查，申报材料属实。"
    ranking = (await client.get(f"{path}/ranking", headers=auth(keys["admin"]))).json()
    assert [r["standing"] for r in ranking] == ["proposed", "waitlisted"]
    again = await client.post(
        f"{path}/objections/{objection['id']}/decision",
        headers=auth(keys["admin"]),
        json={"decision": "upheld", "reason": "改变主意了，撤销原决定。"},
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_decided"


async def test_a_notice_in_a_year_outside_the_calendar_is_a_clear_error(stack, client, keys, quota_clock):
    await prepare_round(
        client,
        stack.bootstrap_servers,
        quota_clock,
        keys["admin"],
        judges(keys, 1),
        "3.6-demo-base",
        2031,
        [90],
        upto="ranked",
        tag="cal",
    )
    quota_clock.set(beijing("2031-09-27T10:00:00"))
    refused = await client.post(
        "/v1/rounds/3.6-demo-base/2031/transitions", headers=auth(keys["admin"]), json={"state": "in_notice"}
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "calendar_unknown"
    assert "no data for 2031" in refused.json()["error"]["message_en"]
    assert (await client.get("/v1/rounds/3.6-demo-base/2031", headers=auth(keys["admin"]))).json()["state"] == "ranked"


async def test_an_application_admitted_twice_is_one_candidate(stack, client, keys, quota_clock):
    from shared.messaging.envelope import Envelope
    from shared.messaging.payloads import payload_type

    quota_clock.set(beijing("2025-01-02T09:00:00"))
    created = await client.post(
        "/v1/rounds",
        headers=auth(keys["admin"]),
        json={"clause": "3.6-demo-base", "year": 2025, "deadline": "2025-01-20T17:00:00+08:00"},
    )
    assert created.status_code == 201
    admitted = admission("3.6-demo-base", 2025, 1, tag="twice")
    model = payload_type(admitted.type)
    assert model is not None
    again = Envelope.of(
        model.model_validate_json(admitted.data),
        source="/test",
        key=admitted.key,
        subject=admitted.subject,
    )  # the same admission, a new event id
    after = admission("3.6-demo-base", 2025, 2, tag="twice")
    await feed(stack.bootstrap_servers, admitted, again, after)

    async def both():  # the later candidate, on the same key, shows the repeat was handled first
        listed = (await client.get("/v1/rounds/3.6-demo-base/2025/candidates", headers=auth(keys["admin"]))).json()
        return after.subject in {c["application_id"] for c in listed} and listed

    listed = await until(both)
    assert sorted(c["application_id"] for c in listed) == sorted([admitted.subject, after.subject])


# --- what quota knows of a candidate ---------------------------------------------------------


async def test_a_candidate_joins_with_the_details_its_admission_carries_and_one_admitted_without_them_holds_the_ranking(
    stack, client, keys, quota_clock
):
    from shared.events import CandidateAdmittedV1, CandidateAdmittedV2
    from shared.messaging.envelope import Envelope

    clause, year, admin, judge = "3.6-demo-base", 2026, keys["admin"], keys["judge-1"]
    path = f"/v1/rounds/{clause}/{year}"
    quota_clock.set(beijing(f"{year}-09-02T09:00:00"))
    created = await client.post(
        "/v1/rounds",
        headers=auth(admin),
        json={"clause": clause, "year": year, "deadline": f"{year}-09-20T17:00:00+08:00", "min_reviews": 1},
    )
    assert created.status_code == 201, created.text
    known = admission(clause, year, 1, tag="known")
    admitted_again = admission(clause, year, 2, tag="known")  # published later, as v2
    v2 = CandidateAdmittedV2.model_validate_json(admitted_again.data)
    v1 = CandidateAdmittedV1(**v2.model_dump(include=set(CandidateAdmittedV1.model_fields)))
    unknown = Envelope.of(v1, source="/test", key=admitted_again.key, subject=admitted_again.subject)
    await feed(stack.bootstrap_servers, known, unknown)

    async def listed(count: int):
        found = (await client.get(f"{path}/candidates", headers=auth(admin))).json()
        return len(found) == count and {c["application_id"]: c for c in found}

    joined = await until(lambda: listed(2))
    assert (joined[known.subject]["applicant_name"], joined[known.subject]["project"]) == (
        "成都市第1区",
        "BASE-known01",
    )
    assert (joined[unknown.subject]["applicant_name"], joined[unknown.subject]["project"]) == (None, None)

    assert (await client.put(f"{path}/panel/judge-1", headers=auth(admin))).status_code == 200
    quota_clock.set(beijing(f"{year}-09-21T09:00:00"))
    await until(lambda: _state_is(client, admin, path, "closed"))
    assert (
        await client.post(f"{path}/transitions", headers=auth(admin), json={"state": "in_review"})
    ).status_code == 200
    for application_id, score in ((known.subject, 80), (unknown.subject, 70)):
        reviewed = await client.put(
            f"{path}/candidates/{application_id}/review",
            headers=auth(judge),
            json={"scores": uniform(clause, score), "submit": True},
        )
        assert reviewed.status_code == 200, reviewed.text
    refused = await client.post(f"{path}/transitions", headers=auth(admin), json={"state": "ranked"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "details_missing"
    message = refused.json()["error"]["message_en"]
    assert unknown.subject in message and known.subject not in message and "candidate.admitted.v2" in message

    await feed(stack.bootstrap_servers, admitted_again)  # the same application, admitted with its details

    async def ranked() -> bool:
        moved = await client.post(f"{path}/transitions", headers=auth(admin), json={"state": "ranked"})
        return moved.status_code == 200

    await until(ranked)
    after = await listed(2)
    assert (after[unknown.subject]["applicant_name"], after[unknown.subject]["project"]) == (
        "成都市第2区",
        "BASE-known02",
    )
    assert [after[i]["rank"] for i in (known.subject, unknown.subject)] == [1, 2]


async def _state_is(client, admin, path, wanted) -> bool:
    return (await client.get(path, headers=auth(admin))).json()["state"] == wanted
