"""A successor policy is drafted, approved by a second official and applied by every service without
a restart: a node claim of 2026 is decided under it at its new rate, and still is after intake and
eligibility are killed and started again (each knows the published versions from its own tables).

The successor is an illustration, not law (its titles say so): the bundled 2023 policy in a later
window with 1.1-node's rate raised from 20% to 30%."""

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from tests.money_tools import payee_for
from tests.policy_files import illustration, write

pytestmark = pytest.mark.e2e
SUBSIDY = str(Path(sys.executable).parent / "subsidy")
SUCCESSOR_ID = "chengdu-blockchain-2025"
SUCCESSOR = illustration(SUCCESSOR_ID, "2025-02-10", "2027-02-09", ('rate = "0.20"', 'rate = "0.30"'))
APPLICANT = "成都链网科技有限公司"


def subsidy(stack, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **stack.env()}
    return subprocess.run([SUBSIDY, *args], capture_output=True, text=True, env=env, timeout=120)


def node_claim(occurred_on: str = "2026-03-01") -> dict:
    return {
        "clause": "1.1-node",
        "applicant": {"credit_code": "91510100MA61R8XN39", "name": APPLICANT, "kind": "enterprise"},
        "occurred_on": occurred_on,
        "facts": {
            "node_id": f"SN-{uuid.uuid4().hex[:8]}",
            "node_level": "national_super",
            "investment_cost": "1000000",
        },
        "payee": payee_for(APPLICANT),
    }


async def decided(intake: httpx.AsyncClient, occurred_on: str = "2026-03-01") -> tuple[str, str, str]:
    """Submits a node claim (202) and waits for its decision: (outcome, amount, policy version)."""
    claim = node_claim(occurred_on)
    posted = await intake.post("/v1/applications", json=claim, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert posted.status_code == 202, posted.text
    async with asyncio.timeout(60):
        while (found := (await intake.get(f"/v1/applications/{posted.json()['id']}")).json())["status"] == "submitted":
            await asyncio.sleep(0.1)
    step = next(s for s in found["timeline"] if s["status"] in ("eligible", "ineligible"))
    return step["status"], step["detail"]["amount"], step["detail"]["policy_version"]


async def catalogue_version(intake: httpx.AsyncClient) -> str:
    return next(c for c in (await intake.get("/v1/clauses")).json() if c["id"] == "1.1-node")["policy_version"]


async def test_a_successor_approved_by_a_second_official_is_applied_without_a_restart(stack, services, tmp_path):
    # Checked before anything is stored: the successor is valid; a window ending before it starts is
    # named, and such a file cannot be drafted.
    successor = write(tmp_path, "successor", SUCCESSOR)
    assert subsidy(stack, "policy", "validate", str(successor)).returncode == 0
    backwards = write(tmp_path, "backwards", SUCCESSOR.replace("last_day = 2027-02-09", "last_day = 2025-01-09"))
    checked = subsidy(stack, "policy", "validate", str(backwards))
    assert checked.returncode == 2 and "last_day" in checked.stdout, checked.stdout
    assert subsidy(stack, "policy", "draft", str(backwards), "--by", "张三").returncode == 2

    # What it would have changed: three 2024 node claims, decided at 20%, replayed at 30%.
    key = await stack.key()
    async with httpx.AsyncClient(
        base_url=services["intake"].url, timeout=15, headers={"Authorization": f"Bearer {key}"}
    ) as intake:
        for _ in range(3):
            assert await decided(intake, "2024-03-01") == ("eligible", "200000.00", "chengdu-blockchain-2023")
    whatif = subsidy(
        stack, "policy", "whatif", str(successor), "--from", "2024-01-01", "--to", "2024-12-31", "--format", "json"
    )
    assert whatif.returncode == 0, whatif.stderr
    report = json.loads(whatif.stdout)
    assert (report["applications"], report["changed"], report["total"]["delta"]) == (3, 3, "300000.00")

    # A broken file: exit 2 with its problem, nothing stored.
    broken = write(tmp_path, "broken", SUCCESSOR.replace('window_article = "施行期"', ""))
    refused = subsidy(stack, "policy", "draft", str(broken), "--by", "张三")
    assert refused.returncode == 2 and "window_article" in refused.stderr, refused.stderr
    assert subsidy(stack, "policy", "list").stdout.strip() == ""

    drafted = subsidy(stack, "policy", "draft", str(successor), "--by", "张三")
    assert drafted.returncode == 0, drafted.stderr
    assert drafted.stdout.strip() == SUCCESSOR_ID

    # Four eyes: its drafter cannot approve it.
    own = subsidy(stack, "policy", "approve", SUCCESSOR_ID, "--by", "张三")
    assert own.returncode == 2 and "four_eyes" in own.stderr, own.stderr

    key = await stack.key()
    async with httpx.AsyncClient(
        base_url=services["intake"].url, timeout=15, headers={"Authorization": f"Bearer {key}"}
    ) as intake:
        assert await catalogue_version(intake) == "chengdu-blockchain-2023"
        approved = subsidy(stack, "policy", "approve", SUCCESSOR_ID, "--by", "李四", "--reason", "reviewed")
        assert approved.returncode == 0, approved.stderr
        assert "approved" in approved.stdout and "李四" in approved.stdout

        # Nothing restarted: intake's book follows within seconds, and eligibility decides under it.
        async with asyncio.timeout(30):
            while await catalogue_version(intake) != SUCCESSOR_ID:
                await asyncio.sleep(0.2)
        assert await decided(intake) == ("eligible", "300000.00", SUCCESSOR_ID)

        # Killed and started again, each knows the successor from its own tables at once.
        for name in ("intake", "eligibility"):
            services[name].kill()
        for name in ("intake", "eligibility"):
            services[name].start()
        for name in ("intake", "eligibility"):
            await asyncio.to_thread(services[name].wait_ready)
        assert await catalogue_version(intake) == SUCCESSOR_ID
        assert await decided(intake) == ("eligible", "300000.00", SUCCESSOR_ID)

    # The commands read the approved versions too: `subsidy evaluate` decides a 2026 claim under it.
    evaluated = subprocess.run(
        [SUBSIDY, "evaluate", "-"],
        input=json.dumps(node_claim()),
        capture_output=True,
        text=True,
        env={**os.environ, **stack.env()},
        timeout=120,
    )
    decision = json.loads(evaluated.stdout.splitlines()[0])
    assert (decision["outcome"], decision["amount"], decision["policy_version"]) == (
        "eligible",
        "300000.00",
        SUCCESSOR_ID,
    ), evaluated.stdout + evaluated.stderr

    listed = subsidy(stack, "policy", "list")
    assert SUCCESSOR_ID in listed.stdout and "approved by 李四" in listed.stdout and "drafted by 张三" in listed.stdout
