"""A district's supplementary policy, given at start through POLICY_EXTRA_FILES, is one policy for
every entry point: intake's parsing, catalogue and document, eligibility's decision, payout's budget
lines, `subsidy evaluate` and the console all read the one book their composition root built."""

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from services.console import accounts
from services.intake.cli import PartnerKeys
from shared.secretbox import SecretBox
from shared.stack import start_services
from tests.browser import sign_in
from tests.conftest import SECRETS_KEY
from tests.money_tools import payee_for
from tests.policy_files import district
from tests.wiring import wired

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
SUBSIDY = str(Path(sys.executable).parent / "subsidy")
CLAUSE = "9.1-district-node"
PASSWORD = "a district official's pass phrase"


@pytest.fixture(scope="module")
def policy_env(tmp_path_factory) -> dict[str, str]:
    return {"POLICY_EXTRA_FILES": json.dumps([str(district(tmp_path_factory.mktemp("policy")))])}


@pytest.fixture(scope="module")
def services(stack, policy_env, tmp_path_factory):
    procs = start_services(stack.env() | policy_env, tmp_path_factory.mktemp("logs"))
    yield procs
    for proc in procs.values():
        proc.stop()


def subsidy(stack, policy_env, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **stack.env(), **policy_env}
    return subprocess.run([SUBSIDY, *args], input=stdin, capture_output=True, text=True, env=env, timeout=120)


def district_claim() -> dict:
    return {
        "clause": CLAUSE,
        "applicant": {"credit_code": "91510100MA61R8XN39", "name": "成都链网科技有限公司", "kind": "enterprise"},
        "occurred_on": "2026-03-01",
        "facts": {"node_id": f"DN-{uuid.uuid4().hex[:8]}", "investment_cost": "1000000.00"},
        "payee": payee_for("成都链网科技有限公司"),
    }


async def test_a_districts_clause_is_one_policy_for_every_entry_point(stack, services, policy_env, page):
    key = await stack.key()
    async with httpx.AsyncClient(
        base_url=services["intake"].url, timeout=15, headers={"Authorization": f"Bearer {key}"}
    ) as intake:
        # Intake: the catalogue lists it, the document describes it, a claim under it is accepted.
        listed = {c["id"]: c for c in (await intake.get("/v1/clauses")).json()}
        assert listed[CLAUSE]["policy_version"] == "bars-district-2025"
        body = (await intake.get("/openapi.json")).json()["paths"]["/v1/applications"]["post"]["requestBody"]
        assert CLAUSE in body["content"]["application/json"]["examples"]
        posted = await intake.post(
            "/v1/applications", json=district_claim(), headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        assert posted.status_code == 202, posted.text
        application_id = posted.json()["id"]

        # Eligibility decides it under the district's version.
        async with asyncio.timeout(30):
            while (found := (await intake.get(f"/v1/applications/{application_id}")).json())["status"] == "submitted":
                await asyncio.sleep(0.1)
        decision = next(s for s in found["timeline"] if s["status"] in ("eligible", "ineligible"))
        assert (decision["status"], decision["detail"]["amount"], decision["detail"]["policy_version"]) == (
            "eligible",
            "250000.00",
            "bars-district-2025",
        )

    # Payout: a budget line can be set for it.
    budget = subsidy(stack, policy_env, "budgets", "set", "2026", CLAUSE, "5000000")
    assert budget.returncode == 0, budget.stderr
    assert f"2026 {CLAUSE}" in budget.stdout and "5,000,000.00" in budget.stdout

    # `subsidy evaluate` decides it.
    evaluated = subsidy(stack, policy_env, "evaluate", "-", stdin=json.dumps(district_claim()))
    assert evaluated.returncode == 0, evaluated.stderr
    got = json.loads(evaluated.stdout)
    assert (got["outcome"], got["amount"], got["policy_version"]) == ("eligible", "250000.00", "bars-district-2025")

    # The console shows it, clause title and all, to an official.
    name = f"district-{uuid.uuid4().hex[:6]}"
    async with wired(stack.database_url, "console") as console:
        await accounts.create(
            console.sessions, PartnerKeys(stack.database_url), SecretBox(SECRETS_KEY), name, "admin", PASSWORD
        )
    console_url = services["console"].url
    await sign_in(page, console_url, name, PASSWORD)
    await page.goto(f"{console_url}/applications/{application_id}")
    shown = await page.locator("main").inner_text()
    assert "（示例）区级区块链节点建设补贴" in shown and CLAUSE in shown
