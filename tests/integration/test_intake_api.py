"""The intake API as partner portals meet it: over HTTP, against the running service."""

import asyncio
import copy
import json
import uuid

import asyncpg
import httpx
import pytest

from shared import topics
from tests.books import EXAMPLES
from tests.kafka_tools import eventually, headers, read_until
from tests.wiring import wired

pytestmark = pytest.mark.integration


def node_application(**facts) -> dict:
    app = copy.deepcopy(EXAMPLES["1.1-node"])
    app["facts"] |= {"node_id": f"N-{uuid.uuid4().hex[:8]}", **facts}
    return app


@pytest.fixture
async def client(intake):
    async with httpx.AsyncClient(base_url=intake.url, timeout=10) as c:
        yield c


@pytest.fixture(scope="module")
async def keys(stack):
    return {role: await stack.key(role=role) for role in ("partner", "reviewer", "finance")} | {
        "other": await stack.key(),
        "slow": await stack.key(rate="1"),
    }


def auth(key: str, idempotency_key: str | None = None) -> dict:
    h = {"Authorization": f"Bearer {key}"}
    return h | {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}


async def count_applications(stack, where: str = "true") -> int:
    db = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    try:
        return await db.fetchval(f"SELECT count(*) FROM intake.applications WHERE {where}")
    finally:
        await db.close()


# --- keys and roles ---------------------------------------------------------------------------


async def test_a_request_without_a_valid_key_is_refused_with_401(client):
    for h in ({}, {"Authorization": "Bearer sk_nope_nope"}, {"Authorization": "Basic abc"}):
        r = await client.get("/v1/applications", headers=h)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
        assert r.headers["WWW-Authenticate"] == "Bearer"


async def test_a_rotated_key_replaces_the_old_one_and_a_revoked_key_stops_working(stack, client):
    from services.intake import partners

    old = await stack.key(partner="rotating")
    async with wired(stack.database_url, "intake") as intake:
        new = await partners.rotate(intake, "rotating")
        assert (await client.get("/v1/applications", headers=auth(old))).status_code == 401
        assert (await client.get("/v1/applications", headers=auth(new))).status_code == 200
        assert await partners.revoke(intake, "rotating") == 1
        fresh = await partners.rotate(intake, "rotating")
        await partners.revoke(intake, "rotating")
        assert (await client.get("/v1/applications", headers=auth(fresh))).status_code == 401


async def test_a_role_that_may_not_do_something_gets_403(client, keys):
    r = await client.post("/v1/applications", json=node_application(), headers=auth(keys["reviewer"]))
    assert r.status_code == 403 and "partner" in r.json()["error"]["message_en"]
    assert (await client.get("/v1/applications", headers=auth(keys["finance"]))).status_code == 403


# --- submitting ---------------------------------------------------------------------------------


async def test_an_application_is_accepted_with_where_to_follow_it(client, keys):
    r = await client.post("/v1/applications", json=node_application(), headers=auth(keys["partner"]))
    assert r.status_code == 202
    body = r.json()
    assert body["status"] == "submitted" and r.headers["Location"] == body["links"]["self"]
    followed = await client.get(body["links"]["self"], headers=auth(keys["partner"]))
    assert followed.status_code == 200 and followed.json()["timeline"][0]["status"] == "submitted"


async def test_the_same_idempotency_key_and_body_returns_the_original_answer(stack, client, keys):
    application, key = node_application(), str(uuid.uuid4())
    first = await client.post("/v1/applications", json=application, headers=auth(keys["partner"], key))
    # The same JSON with its keys in another order is the same request.
    reordered = dict(reversed(list(application.items())))
    again = await client.post("/v1/applications", json=reordered, headers=auth(keys["partner"], key))
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert await count_applications(stack, f"idempotency_key = '{key}'") == 1


async def test_the_same_idempotency_key_with_another_body_is_a_conflict_and_stores_nothing(stack, client, keys):
    key = str(uuid.uuid4())
    await client.post("/v1/applications", json=node_application(), headers=auth(keys["partner"], key))
    r = await client.post(
        "/v1/applications", json=node_application(investment_cost="1.00"), headers=auth(keys["partner"], key)
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "idempotency_conflict"
    assert await count_applications(stack, f"idempotency_key = '{key}'") == 1


async def test_two_partners_may_use_the_same_idempotency_key_independently(client, keys):
    key = str(uuid.uuid4())
    a = await client.post("/v1/applications", json=node_application(), headers=auth(keys["partner"], key))
    b = await client.post("/v1/applications", json=node_application(), headers=auth(keys["other"], key))
    assert a.status_code == b.status_code == 202 and a.json()["id"] != b.json()["id"]


async def test_a_missing_idempotency_key_is_named_in_the_error(client, keys):
    r = await client.post(
        "/v1/applications", json=node_application(), headers={"Authorization": f"Bearer {keys['partner']}"}
    )
    assert r.status_code == 422
    assert [f["field"] for f in r.json()["error"]["fields"]] == ["header.idempotency-key"]


async def test_a_body_over_the_size_limit_gets_413_and_is_not_stored(stack, client, keys):
    key = str(uuid.uuid4())
    huge = node_application() | {"padding": "x" * 70_000}
    r = await client.post("/v1/applications", json=huge, headers=auth(keys["partner"], key))
    assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"
    assert await count_applications(stack, f"idempotency_key = '{key}'") == 0


@pytest.mark.parametrize(
    "change, field, code",
    [
        (
            lambda a: a["applicant"].update(credit_code="91510100MA61R8XN38"),
            "applicant.credit_code",
            "invalid_credit_code",
        ),
        (lambda a: a.update(clause="9.9-nothing"), "clause", "unknown_clause"),
        (lambda a: a["facts"].pop("investment_cost"), "facts.investment_cost", "missing"),
        (lambda a: a["facts"].update(investment_cost="4e6"), "facts.investment_cost", "money_exponent"),
        (lambda a: a["facts"].update(investment_cost=4000000.5), "facts.investment_cost", "wrong_type"),
        (lambda a: a.update(occurred_on="2024-02-30"), "occurred_on", "invalid_date"),
        (lambda a: a["facts"].update(colour="blue"), "facts.colour", "unknown_field"),
        # Names and identifiers are text: no C0/C1 controls, no bidirectional overrides or isolates.
        (lambda a: a["applicant"].update(name="成都链网\u202e司公限有技科"), "applicant.name", "invalid_character"),
        (lambda a: a["applicant"].update(name="成都链网\x1b[31m科技"), "applicant.name", "invalid_character"),
        (lambda a: a["facts"].update(node_id="SN-\u2066001"), "facts.node_id", "invalid_character"),
        (lambda a: a["facts"].update(node_id="SN-\x85001"), "facts.node_id", "invalid_character"),
        (lambda a: a["facts"].update(node_id="\u3000 "), "facts.node_id", "empty_identifier"),
    ],
)
async def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(stack, client, keys, change, field, code):
    application, key = node_application(), str(uuid.uuid4())
    change(application)
    r = await client.post("/v1/applications", json=application, headers=auth(keys["partner"], key))
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "invalid_application" and error["message_zh"]
    assert (field, code) in [(f["field"], f["code"]) for f in error["fields"]]
    assert all(f["message_en"] and f["message_zh"] for f in error["fields"])
    assert await count_applications(stack, f"idempotency_key = '{key}'") == 0


async def test_a_control_character_is_refused_naming_the_field_the_character_and_its_position(client, keys):
    application = node_application()
    application["applicant"]["name"] = "成都链网\u202e司公限有技科"
    r = await client.post("/v1/applications", json=application, headers=auth(keys["partner"]))
    assert r.status_code == 422
    assert r.json()["error"]["fields"] == [
        {
            "field": "applicant.name",
            "code": "invalid_character",
            "message_en": "applicant.name: contains U+202E (RIGHT-TO-LEFT OVERRIDE) at position 5, "
            "a bidirectional control character: not allowed here",
            "message_zh": "applicant.name：含控制字符、双向文本控制字符或不可见字符，不予接受",
        }
    ]


async def test_three_spellings_of_a_node_are_one_node_and_each_application_keeps_its_own(client, keys):
    spellings = ("SN-001", "ｓｎ－００１", " sn-001 ")
    keys_decided = set()
    for spelt in spellings:
        evaluated = await client.post(
            "/v1/evaluations", json=node_application(node_id=spelt), headers=auth(keys["partner"])
        )
        assert evaluated.status_code == 200
        keys_decided |= {g["subject_key"] for g in evaluated.json()["grants"]}
    assert keys_decided == {"node_id=sn-001"}

    for spelt in spellings:
        r = await client.post("/v1/applications", json=node_application(node_id=spelt), headers=auth(keys["partner"]))
        assert r.status_code == 202
        stored = await client.get(r.json()["links"]["self"], headers=auth(keys["partner"]))
        assert stored.json()["application"]["facts"]["node_id"] == spelt


async def test_a_partner_over_its_rate_gets_429_with_retry_after(client, keys):
    statuses = [(await client.get("/v1/applications", headers=auth(keys["slow"]))) for _ in range(4)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited and int(limited[0].headers["Retry-After"]) >= 1
    assert limited[0].json()["error"]["code"] == "rate_limited"


# --- following ----------------------------------------------------------------------------------


async def test_a_partner_never_sees_another_partners_application(client, keys):
    r = await client.post("/v1/applications", json=node_application(), headers=auth(keys["partner"]))
    location = r.json()["links"]["self"]
    assert (await client.get(location, headers=auth(keys["other"]))).status_code == 404
    assert (await client.get(location, headers=auth(keys["reviewer"]))).status_code == 200
    listed = (await client.get("/v1/applications", headers=auth(keys["other"]), params={"limit": 100})).json()
    assert r.json()["id"] not in {item["id"] for item in listed["items"]}


async def test_an_unknown_application_is_404(client, keys):
    r = await client.get(f"/v1/applications/{uuid.uuid4()}", headers=auth(keys["partner"]))
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


async def test_the_list_pages_by_cursor_newest_first_and_filters(stack, client):
    key = await stack.key()
    ids = [
        (await client.post("/v1/applications", json=node_application(), headers=auth(key))).json()["id"]
        for _ in range(5)
    ]
    ext = EXAMPLES["3.5-external-revenue"]
    other_clause = (await client.post("/v1/applications", json=ext, headers=auth(key))).json()["id"]

    seen, cursor = [], None
    while True:
        page = (
            await client.get(
                "/v1/applications",
                headers=auth(key),
                params={"limit": 2, "clause": "1.1-node"} | ({"cursor": cursor} if cursor else {}),
            )
        ).json()
        seen += [item["id"] for item in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == list(reversed(ids))
    everything = (await client.get("/v1/applications", headers=auth(key))).json()["items"]
    assert {i["id"] for i in everything} == set(ids) | {other_clause}
    none = (await client.get("/v1/applications", headers=auth(key), params={"status": "paid"})).json()
    assert none == {"items": [], "next_cursor": None}
    later = (
        await client.get("/v1/applications", headers=auth(key), params={"submitted_from": "2999-01-01T00:00:00+08:00"})
    ).json()
    assert later["items"] == []
    until_now = (
        await client.get(
            "/v1/applications", headers=auth(key), params={"submitted_to": "2999-01-01T00:00:00+08:00", "limit": 100}
        )
    ).json()
    assert len(until_now["items"]) == 6
    unix = await client.get("/v1/applications", headers=auth(key), params={"submitted_to": "0.5"})
    assert unix.status_code == 422 and unix.json()["error"]["fields"][0]["field"] == "query.submitted_to"
    bad = await client.get("/v1/applications", headers=auth(key), params={"cursor": "garbage"})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "query.cursor"


async def test_officials_find_one_applicants_applications_by_credit_code(stack, client, keys):
    key = await stack.key()
    mine = (await client.post("/v1/applications", json=node_application(), headers=auth(key))).json()["id"]
    other = copy.deepcopy(EXAMPLES["3.5-external-revenue"])
    other["applicant"]["credit_code"] = "91510100MA62T7BH2X"
    elsewhere = (await client.post("/v1/applications", json=other, headers=auth(key))).json()["id"]
    code = node_application()["applicant"]["credit_code"]
    found = (
        await client.get("/v1/applications", headers=auth(keys["reviewer"]), params={"credit_code": code, "limit": 100})
    ).json()["items"]
    assert mine in {i["id"] for i in found} and elsewhere not in {i["id"] for i in found}
    assert {i["credit_code"] for i in found} == {code}
    too_long = await client.get("/v1/applications", headers=auth(key), params={"credit_code": "9" * 19})
    assert too_long.status_code == 422


# --- the policy, and push -----------------------------------------------------------------------


async def test_an_evaluation_explains_the_amount_and_stores_nothing(stack, client, keys):
    before = await count_applications(stack)
    r = await client.post(
        "/v1/evaluations", json=node_application(investment_cost="6000000.00"), headers=auth(keys["partner"])
    )
    assert r.status_code == 200
    decision = r.json()
    assert (decision["outcome"], decision["amount"]) == ("eligible", "1000000.00")
    assert any("cap" in step["step"] and step["article"] == "一（一）" for step in decision["trace"])
    assert all(step["zh"] and step["en"] == step["step"] for step in decision["trace"])
    assert "超过上限 1,000,000.00 元" in decision["trace"][-1]["zh"]
    assert await count_applications(stack) == before


def match_request(**changes) -> dict:
    return {
        "applicant": dict(EXAMPLES["1.1-node"]["applicant"]),
        "as_of": "2024-03-01",
        "facts": {"node_level": "national_super", "investment_cost": "4000000.00", "node_id": "SN-9"},
    } | changes


async def test_a_match_judges_every_clause_on_what_is_known_best_first_and_stores_nothing(stack, client, keys):
    before = await count_applications(stack)
    r = await client.post("/v1/matches", json=match_request(), headers=auth(keys["partner"]))
    assert r.status_code == 200
    found = r.json()
    assert (found["policy_version"], found["as_of"]) == ("chengdu-blockchain-2023", "2024-03-01")
    assert len(found["matches"]) == 16
    first = found["matches"][0]
    assert (first["clause"], first["status"], first["amount"], first["missing"]) == (
        "1.1-node",
        "eligible",
        "800000.00",
        [],
    )
    industry = next(m for m in found["matches"] if m["clause"] == "1.2-industry-node")
    assert industry["status"] == "possibly" and industry["missing"] == ["relies_on_national_or_provincial", "certified"]
    last = found["matches"][-1]
    assert last["clause"] == "3.6-demo-base" and last["status"] == "not_eligible"
    assert last["reasons"][0]["fact"] == "applicant.kind" and "实际为 enterprise" in last["reasons"][0]["zh"]
    assert await count_applications(stack) == before


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"applicant": {**EXAMPLES["1.1-node"]["applicant"], "kind": "company"}}, "applicant.kind", "invalid_choice"),
        ({"facts": {"investment_cost": 4000000.5}}, "facts.investment_cost", "wrong_type"),
        ({"facts": {"colour": "blue"}}, "facts.colour", "unknown_field"),
        ({"as_of": "2024-02-30"}, "as_of", "invalid_date"),
    ],
)
async def test_a_bad_match_request_is_refused_naming_the_field(client, keys, changes, field, code):
    r = await client.post("/v1/matches", json=match_request(**changes), headers=auth(keys["partner"]))
    assert r.status_code == 422
    error = r.json()["error"]
    assert [(f["field"], f["code"]) for f in error["fields"]] == [(field, code)]
    assert all(f["message_en"] and f["message_zh"] for f in error["fields"])


async def test_a_match_on_a_day_no_policy_is_in_force_is_refused_saying_so(client, keys):
    r = await client.post("/v1/matches", json=match_request(as_of="2030-01-01"), headers=auth(keys["partner"]))
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "no_policy_in_force" and "2023-02-10 – 2025-02-09" in error["message_en"]
    assert [f["field"] for f in error["fields"]] == ["as_of"] and error["message_zh"]


async def test_a_match_needs_a_key(client):
    assert (await client.post("/v1/matches", json=match_request())).status_code == 401


async def test_the_clause_catalogue_lists_every_clause_in_both_languages(client):
    clauses = (await client.get("/v1/clauses")).json()
    assert len(clauses) == 16
    node = next(c for c in clauses if c["id"] == "1.1-node")
    assert node["title_zh"] and node["title_en"]
    assert {f["name"]: f["type"] for f in node["facts"]}["investment_cost"] == "money"


async def test_a_registered_webhook_is_published_for_notify(stack, client):
    key = await stack.key(partner="hooked-portal")
    # A public address, written as one: names would need DNS, which these machines do not have.
    r = await client.put(
        "/v1/partners/me/webhook", headers=auth(key), json={"url": "https://93.184.215.14/hook", "secret": "s" * 32}
    )
    assert r.status_code == 200 and r.json()["url"] == "https://93.184.215.14/hook"

    def webhook(r):
        return r.key == b"hooked-portal" and headers(r)["ce_type"] == "subsidy.webhook.registered.v2"

    records = await read_until(stack.bootstrap_servers, topics.PARTNERS, lambda rs: any(map(webhook, rs)))
    event = next(filter(webhook, records))
    assert b"93.184.215.14" in event.value and b"s" * 32 not in event.value
    bad = await client.put("/v1/partners/me/webhook", headers=auth(key), json={"url": "not a url", "secret": "x"})
    assert bad.status_code == 422 and {f["field"] for f in bad.json()["error"]["fields"]} == {"body.url", "body.secret"}
    plain = await client.put(
        "/v1/partners/me/webhook", headers=auth(key), json={"url": "http://10.0.0.1/hook", "secret": "s" * 32}
    )
    assert plain.status_code == 422 and "https" in plain.json()["error"]["fields"][0]["message_en"]


async def test_a_client_that_disconnects_mid_request_is_one_quiet_line_in_the_log(intake, keys):
    _reader, writer = await asyncio.open_connection("127.0.0.1", intake.port)
    writer.write(
        b"POST /v1/applications HTTP/1.1\r\nHost: intake\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer " + keys["partner"].encode() + b"\r\nIdempotency-Key: gone-1\r\n"
        b'Content-Length: 5000\r\n\r\n{"clause": '
    )
    await writer.drain()
    writer.close()  # half a body, then gone
    await writer.wait_closed()

    async def logged():
        return "client disconnected during POST /v1/applications" in intake.log_path.read_text()

    await eventually(logged, timeout_s=10)
    lines = [json.loads(line) for line in intake.log_path.read_text().splitlines() if line.startswith("{")]
    assert not [line for line in lines if line["level"] == "ERROR"]
    assert "Traceback" not in intake.log_path.read_text()


async def test_issuing_rotating_and_revoking_a_key_announce_its_hash_and_never_the_key(stack):
    import hashlib
    import json

    from services.intake import partners

    first = await stack.key(partner="announced", role="reviewer", rate="7")
    async with wired(stack.database_url, "intake") as intake:
        second = await partners.rotate(intake, "announced")
    records = await read_until(
        stack.bootstrap_servers, topics.PARTNERS, lambda rs: sum(r.key == b"announced" for r in rs) >= 3
    )
    mine = [(headers(r)["ce_type"], json.loads(r.value)) for r in records if r.key == b"announced"]
    assert [t for t, _ in mine] == [
        "subsidy.api-key.issued.v1",
        "subsidy.api-key.revoked.v1",
        "subsidy.api-key.issued.v1",
    ]
    for key, (_, body) in zip((first, second), (mine[0], mine[2]), strict=False):
        _, key_id, secret = key.split("_", 2)
        assert body["key_id"] == key_id and body["role"] == "reviewer" and body["requests_per_second"] == "7.00"
        assert body["secret_sha256"] == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in json.dumps(body)
    assert mine[1][1]["key_id"] == first.split("_")[1]
