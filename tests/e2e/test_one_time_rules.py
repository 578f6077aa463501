"""One-time means once: claims posted through the partner API to the running services, decided
against the rule's own constraints, whatever the spelling, the clause or the applicant."""

import asyncio
import copy
import json
import uuid

import asyncpg
import httpx
import pytest

from shared.policy.book import VERSIONS_DIR
from shared.stack import start_services
from shared.statuses import STAGE
from tests.books import EXAMPLES
from tests.builders import applicant_code

pytestmark = pytest.mark.e2e
NO_DOUBLE_FROM = "2025-06-01"  # claims on and after it are decided under a no_double version


@pytest.fixture(scope="module")
def services(stack, tmp_path_factory):
    """The five services; eligibility also knows a later policy version that pays double claims
    across clauses only up to the larger award (就高不重复), in force from 2025-02-10."""
    bundled = (VERSIONS_DIR / "chengdu-blockchain-2023.toml").read_text(encoding="utf-8")
    later = (
        bundled.replace('id = "chengdu-blockchain-2023"', 'id = "chengdu-blockchain-2025-no-double"', 1)
        .replace("first_day = 2023-02-10", "first_day = 2025-02-10", 1)
        .replace("last_day = 2025-02-09", "last_day = 2027-02-09", 1)
        .replace('double_claim = "allowed"', 'double_claim = "no_double"', 1)
    )
    path = tmp_path_factory.mktemp("policy") / "no-double.toml"
    path.write_text(later, encoding="utf-8")
    procs = start_services(
        stack.env() | {"POLICY_EXTRA_FILES": json.dumps([str(path)])}, tmp_path_factory.mktemp("logs")
    )
    yield procs
    for proc in procs.values():
        proc.stop()


@pytest.fixture
async def client(services, stack):
    key = await stack.key()
    async with httpx.AsyncClient(
        base_url=services["intake"].url, timeout=10, headers={"Authorization": f"Bearer {key}"}
    ) as c:
        yield c


def claim(clause: str, credit_code: str, occurred_on: str = "2024-03-01", **facts) -> dict:
    application = copy.deepcopy(EXAMPLES[clause])
    application["applicant"]["credit_code"] = credit_code
    application["occurred_on"] = occurred_on
    application["facts"] |= facts
    return application


async def submit(client: httpx.AsyncClient, application: dict) -> str:
    r = await client.post("/v1/applications", json=application, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert r.status_code == 202, r.text
    return r.json()["id"]


async def decided(client: httpx.AsyncClient, application_id: str) -> dict:
    """The decision step of the application's timeline, once there."""
    async with asyncio.timeout(30):
        while True:
            body = (await client.get(f"/v1/applications/{application_id}")).json()
            if STAGE[body["status"]] >= STAGE["eligible"]:
                return next(
                    step for step in body["timeline"] if step["status"] in ("eligible", "ineligible", "candidate")
                )
            await asyncio.sleep(0.1)


async def decision_body(stack, application_id: str) -> dict:
    db = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    try:
        return json.loads(
            await db.fetchval(
                "SELECT body FROM eligibility.decisions WHERE application_id = $1", uuid.UUID(application_id)
            )
        )
    finally:
        await db.close()


async def test_a_project_is_awarded_once_per_clause_and_a_repeat_is_refused_citing_the_earlier_award(client, stack):
    code = applicant_code(9101)
    gov = await submit(client, claim("1.2-gov-infra", code, project_id="P1"))
    assert (await decided(client, gov))["status"] == "eligible"
    labs = [await submit(client, claim("3.7-testing-lab", code, project_id="P1")) for _ in range(3)]
    first, *again = [await decided(client, lab) for lab in labs]

    assert (first["status"], first["detail"]["amount"]) == ("eligible", "2000000.00")
    trace = (await decision_body(stack, labs[0]))["trace"]
    assert any("also awarded 250,000.10 under 1.2-gov-infra" in step["step"] for step in trace)  # said, allowed
    for refused in again:
        assert (refused["status"], refused["detail"]["amount"]) == ("ineligible", "0.00")
        [reason] = refused["detail"]["reasons"]
        assert reason["code"] == "subject_already_awarded"
        assert f"application {labs[0]}" in reason["en"] and "project_id=p1" in reason["en"]


async def test_three_spellings_of_one_node_are_one_node_paid_once(client):
    code = applicant_code(9102)
    ids = [
        await submit(client, claim("1.1-node", code, node_id=spelling))
        for spelling in ("SN-001", "ｓｎ－００１", " sn-001 ")
    ]
    outcomes = [(await decided(client, i))["status"] for i in ids]
    assert outcomes == ["eligible", "ineligible", "ineligible"]
    shown = (await client.get(f"/v1/applications/{ids[1]}")).json()["application"]["facts"]["node_id"]
    assert shown == "ｓｎ－００１"  # the partner's own spelling is kept for display


@pytest.mark.parametrize(
    "occurred_on, double_claim, typical_amount",
    [
        ("2024-03-01", "allowed", "320000.00"),  # both clauses pay in full
        (NO_DOUBLE_FROM, "no_double", "0.00"),  # only the larger award in total: the pilot's 520,000.00
    ],
)
async def test_a_project_claimed_under_two_clauses_follows_the_policy_s_double_claim_parameter(
    client, stack, occurred_on, double_claim, typical_amount
):
    code = applicant_code(9103 if double_claim == "allowed" else 9104)
    pilot = await submit(client, claim("2.4-pilot-project", code, occurred_on, project_id="CASE-9"))
    assert (await decided(client, pilot))["detail"]["amount"] == "520000.00"
    typical = await submit(client, claim("2.4-typical-case", code, occurred_on, project_id="CASE-9"))
    step = await decided(client, typical)
    assert (step["status"], step["detail"]["amount"]) == ("candidate", typical_amount)
    trace = " | ".join(s["step"] for s in (await decision_body(stack, typical))["trace"])
    said = (
        "no_double (就高不重复): project_id case-9 already received"
        if double_claim == "no_double"
        else "double claim allowed: project_id case-9 also received 520,000.00 under 2.4-pilot-project"
    )
    assert said in trace


async def test_a_subject_another_applicant_was_awarded_is_paid_and_marked_for_reviewers_without_naming_them(
    client, stack
):
    first, second = applicant_code(9105), applicant_code(9106)
    theirs = await submit(client, claim("1.1-node", first, node_id="SHARED-7"))
    assert (await decided(client, theirs))["status"] == "eligible"
    ours = await submit(client, claim("1.1-node", second, node_id="shared-7"))
    assert (await decided(client, ours))["status"] == "eligible"  # each is paid for its own investment

    body = await decision_body(stack, ours)
    [flagged] = [s for s in body["trace"] if s.get("flag") == "subject_claimed_by_other_applicant"]
    assert first not in flagged["step"]  # the partner's trace does not say who
    assert body["claimed_by_others"] == [{"credit_code": first, "application_id": theirs}]  # the reviewers' record
    seen_by_partner = (await client.get(f"/v1/applications/{ours}")).text
    assert first not in seen_by_partner


async def test_the_amount_booked_per_applicant_clause_and_subject_never_exceeds_the_cap(stack):
    db = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    try:
        over = await db.fetch("SELECT credit_code, clause, subject_key FROM eligibility.grants WHERE amount > cap")
        with pytest.raises(asyncpg.CheckViolationError):  # and the table itself refuses one that would
            await db.execute(
                "INSERT INTO eligibility.grants (credit_code, subject_key, clause, amount, cap, "
                "application_id) VALUES ('X', 'node_id=x', '1.1-node', 1000000.01, 1000000, $1)",
                uuid.uuid4(),
            )
        with pytest.raises(asyncpg.UniqueViolationError):  # and a second grant on one rule's subject
            for _ in range(2):
                await db.execute(
                    "INSERT INTO eligibility.grants (credit_code, subject_key, clause, amount, cap, "
                    "application_id) VALUES ('Y', 'node_id=y', '1.1-node', 1, 1000000, $1)",
                    uuid.uuid4(),
                )
    finally:
        await db.close()
    assert over == []
