"""免申即享: once a policy version is approved, earlier applicants whose kept facts satisfy one of its
clauses they never claimed are told, once: their partner by a signed `match.found` webhook, their
contact by e-mail in its language, saying it is no award and how to claim. Intake, eligibility and
notify run as their own processes on real PostgreSQL and a real broker; mail goes to a real SMTP
server and webhooks to a real HTTP receiver. The version approved is an illustrative successor with
an illustrative district clause (`tests/policy_files.py`: its titles say it is no law)."""

import asyncio
import copy
import json
import uuid

import asyncpg
import httpx
import pytest
from standardwebhooks.webhooks import Webhook
from typer.testing import CliRunner

from services.cli import app
from shared.stack import ServiceProcess, free_port
from tests.books import EXAMPLES
from tests.builders import applicant_code
from tests.kafka_tools import eventually
from tests.policy_files import DISTRICT_NODE, SUCCESSOR_ID, successor
from tests.selection_tools import auth, key_works

pytestmark = pytest.mark.integration
QUICK = {
    "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
    "WEBHOOK_RETRY_SCHEDULE_S": "0.1,0.1,0.1",
    "WEBHOOK_RETRY_JITTER": "0",
    "SMTP_SECURITY": "none",
    "EMAIL_RETRY_SCHEDULE_S": "0.2,0.2",
}
DISTRICT = "9.1-district-node"


@pytest.fixture(scope="module")
def services(stack, smtp, tmp_path_factory):
    logs = tmp_path_factory.mktemp("logs")
    env = stack.env() | QUICK | {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port)}
    procs = {
        name: ServiceProcess(name, free_port(), env, logs / f"{name}.log").start()
        for name in ("intake", "eligibility", "notify")
    }
    try:
        for proc in procs.values():
            proc.wait_ready()
        yield procs
    finally:
        for proc in procs.values():
            proc.stop()


async def query(stack, sql: str, *args) -> list:
    db = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    try:
        return await db.fetch(sql, *args)
    finally:
        await db.close()


def node_claim(credit_code: str, investment_cost: str, contact: dict | None) -> dict:
    """A 2024 claim under 1.1-node (the bundled policy), with its node's facts."""
    application = copy.deepcopy(EXAMPLES["1.1-node"])
    application["applicant"]["credit_code"] = credit_code
    application["facts"] |= {"node_id": f"SN-{credit_code[-6:]}", "investment_cost": investment_cost}
    if contact:
        application["contact"] = contact
    return application


async def subsidy(stack, *args: str) -> str:
    env = {"KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap_servers, "DATABASE_URL": stack.database_url, "COLUMNS": "250"}
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def matches_found(receiver) -> list:
    return [r for r in receiver.received if json.loads(r.body)["type"] == "match.found"]


async def test_a_published_version_tells_earlier_applicants_what_they_could_claim_once(stack, services, smtp, receiver):
    partner = f"portal-{uuid.uuid4().hex[:8]}"
    key = await stack.key(partner=partner)
    drafter = await stack.key(partner="official-a", role="policy_admin")
    approver = await stack.key(partner="official-b", role="policy_admin")
    english, chinese = f"ops-{uuid.uuid4().hex[:6]}@chain.example.cn", f"cw-{uuid.uuid4().hex[:6]}@chain.example.cn"
    codes = {"en": applicant_code(101), "zh": applicant_code(102), "none": applicant_code(103)}
    async with (
        httpx.AsyncClient(base_url=services["intake"].url, headers=auth(key), timeout=15) as intake,
        httpx.AsyncClient(base_url=services["eligibility"].url, timeout=15) as eligibility,
        httpx.AsyncClient(base_url=services["notify"].url, headers=auth(key), timeout=15) as notify,
    ):
        hook = await intake.put("/v1/partners/me/webhook", json={"url": receiver.url})
        assert hook.status_code == 200, hook.text
        secret = hook.json()["secret"]

        # Three applicants claimed a node in 2024; two gave a contact, in English and in Chinese.
        ids = []
        for code, cost, contact in (
            (codes["en"], "4000000.00", {"email": english, "language": "en"}),
            (codes["zh"], "1200000.00", {"email": chinese}),
            (codes["none"], "2000000.00", None),
        ):
            r = await intake.post(
                "/v1/applications",
                json=node_claim(code, cost, contact),
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
            assert r.status_code == 202, r.text
            ids.append(uuid.UUID(r.json()["id"]))

        async def decided():
            rows = await query(
                stack, "SELECT partner_id, contact FROM eligibility.decisions WHERE application_id = ANY($1)", ids
            )
            return rows if len(rows) == len(ids) else None

        kept = await eventually(decided, timeout_s=30)
        assert {r["partner_id"] for r in kept} == {partner}  # kept to tell the applicant through
        assert sorted(json.loads(r["contact"])["email"] if r["contact"] else "" for r in kept) == sorted(
            ["", english, chinese]
        )

        # A successor with a district-node clause none of them claimed is drafted and approved.
        source = successor(extra=DISTRICT_NODE)
        await key_works(eligibility, approver, "/v1/policy/versions")
        await key_works(eligibility, drafter, "/v1/policy/versions")
        drafted = await eligibility.post("/v1/policy/drafts", headers=auth(drafter), json={"source": source})
        assert drafted.status_code == 201, drafted.text
        approved = await eligibility.post(
            f"/v1/policy/versions/{SUCCESSOR_ID}/approval", headers=auth(approver), json={}
        )
        assert approved.status_code == 200, approved.text

        # Each is told through its partner: a signed match.found, one per applicant.
        await eventually(lambda: _now(len(matches_found(receiver)) >= 3 or None), timeout_s=60)
        told = {}
        for r in matches_found(receiver):
            event = Webhook(secret).verify(r.body, r.headers)  # raises unless signed with the partner's secret
            told[event["credit_code"]] = event
        assert set(told) == set(codes.values())
        en = told[codes["en"]]
        assert en["detail"] | {"notice_id": None, "latest_application_id": None} == {
            "notice_id": None,
            "applicant_name": "成都链网科技有限公司",
            "clause": DISTRICT,
            "article": "九（一）",
            "title_zh": "（示例）区级区块链节点建设补贴",
            "title_en": "(Illustration) Building a district blockchain node",
            "policy_version": SUCCESSOR_ID,
            "amount": "500000.00",  # 25% of 4,000,000.00, capped
            "selection": False,
            "latest_application_id": None,
            "award": False,
            "claim": {
                "route": "POST /v1/applications",
                "clause": DISTRICT,
                "occurred_on_from": "2025-02-10",
                "occurred_on_to": "2027-02-09",
            },
        }
        assert en["detail"]["latest_application_id"] == str(ids[0])
        assert told[codes["zh"]]["detail"]["amount"] == "300000.00"

        # …and its contact by e-mail, in its language: no award, how to claim.
        def told_by_mail(address: str, subject: str):
            async def check():
                return [m for m in smtp.to(address) if subject in m["Subject"]]

            return check

        matched_en = await eventually(told_by_mail(english, "an application is needed"), timeout_s=30)
        matched_zh = await eventually(told_by_mail(chinese, "须提出申请"), timeout_s=30)
        text_en = matched_en[0].get_body(("plain",)).get_content()
        assert "This is not an award" in text_en and f"submit an application under clause {DISTRICT}" in text_en
        assert "500,000.00 yuan" in text_en and "between 10 February 2025 and 9 February 2027" in text_en
        text_zh = matched_zh[0].get_body(("plain",)).get_content()
        assert "本通知不是补贴决定" in text_zh and f"提交条款 {DISTRICT} 的申请" in text_zh
        assert "300,000.00 元" in text_zh and "<p>" in matched_zh[0].get_body(("html",)).get_content()

        # Recorded once each, and the search with them.
        notices = await query(
            stack,
            "SELECT credit_code, clause, amount FROM eligibility.match_notices WHERE version_id = $1",
            SUCCESSOR_ID,
        )
        assert {(n["credit_code"], n["clause"]) for n in notices} == {(c, DISTRICT) for c in codes.values()}
        scans = await query(stack, "SELECT trigger, found, told FROM eligibility.match_scans")
        assert [tuple(s) for s in scans] == [("published", 3, 3)]

        # The partner's delivery log shows them, about applicants rather than applications.
        log = (await notify.get("/v1/partners/me/webhook/deliveries", params={"limit": 200})).json()["items"]
        found = [d for d in log if d["type"] == "match.found"]
        assert {d["credit_code"] for d in found} == set(codes.values())
        assert all(d["application_id"] is None and d["status"] == "delivered" for d in found)

    # Asked again, on demand: found again, told before, so nobody is told twice.
    dry = await subsidy(stack, "policy", "matches", "--version", SUCCESSOR_ID, "--dry-run")
    assert "3 match(es) under chengdu-blockchain-2025" in dry and "0 would be newly told, 3 told before" in dry
    again = await subsidy(stack, "policy", "matches", "--version", SUCCESSOR_ID)
    assert "0 newly told, 3 told before" in again and again.count("told before") == 4
    await asyncio.sleep(2)
    assert len(matches_found(receiver)) == 3
    assert len([m for m in smtp.to(english) if "an application is needed" in m["Subject"]]) == 1
    scans = await query(stack, "SELECT trigger, found, told FROM eligibility.match_scans ORDER BY id")
    assert [tuple(s) for s in scans] == [("published", 3, 3), ("command", 3, 0)]


async def _now(value):
    return value
