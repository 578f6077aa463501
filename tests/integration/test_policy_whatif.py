"""`subsidy policy whatif` against a real database: decisions stored by eligibility's own handler,
replayed under an illustrative successor policy; payout's budget lines read over its real API."""

import asyncio
import csv
import io
import json

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from services.cli import app
from services.eligibility.handlers import handlers
from services.eligibility.tables import decisions
from services.eligibility.versions import Lifecycle
from shared.events import ApplicationSubmittedV1
from shared.stack import ServiceProcess, free_port
from tests.builders import applicant_code, submitted
from tests.money_tools import fund, this_year
from tests.policy_files import illustration, write
from tests.selection_tools import until
from tests.wiring import wired

pytestmark = pytest.mark.integration

# An illustrative successor (labelled so in its titles): the bundled policy with 1.1-node's rate at
# 30% instead of 20%, cap unchanged (1,000,000, which 30% of 1,000,000 stays under). Its own window
# starts after the claims it is replayed over: a replay does not look at it.
NODE_AT_30 = (
    'base = "investment_cost"\nrate = "0.20"\ncap = "1000000"',
    'base = "investment_cost"\nrate = "0.30"\ncap = "1000000"',
)


@pytest.fixture(scope="module")
def successor(tmp_path_factory):
    text = illustration("illustrative-successor-2025", "2025-02-10", "2027-02-09", NODE_AT_30)
    return write(tmp_path_factory.mktemp("policy"), "illustrative-successor-2025", text)


async def decide(database_url: str, *events) -> None:
    """The events decided by eligibility's own handler, in one batch, and stored."""
    async with wired(database_url, "eligibility") as eligibility:
        batch = handlers(eligibility, Lifecycle.of(eligibility).published)[0][ApplicationSubmittedV1]
        async with eligibility.sessions.begin() as session:
            await batch.fn(session, [(e, e.payload()) for e in events])


@pytest.fixture(scope="module")
async def stored(stack):
    """Three 2024 node claims of 1,000,000 each (paid 200,000 each as decided); the same node claimed
    again (refused); and a decision stored as before applications were kept."""
    claims = [
        submitted("1.1-node", applicant_code(700 + n), node_id=f"SN-W{n}", investment_cost="1000000") for n in range(3)
    ]
    again = submitted("1.1-node", applicant_code(700), node_id="sn-w0", investment_cost="1000000")
    old = submitted("1.1-node", applicant_code(710), node_id="SN-OLD", investment_cost="1000000")
    await decide(stack.database_url, *claims, again, old)
    async with wired(stack.database_url, "eligibility") as eligibility, eligibility.sessions.begin() as session:
        await session.execute(
            update(decisions).where(decisions.c.application_id == old.subject).values(application=None)
        )
        kept = (
            await session.execute(
                select(decisions.c.application).where(decisions.c.application_id == claims[0].subject)
            )
        ).scalar_one()
    assert kept["facts"] == {"node_id": "sn-w0", "node_level": "national_super", "investment_cost": "1000000.00"}
    assert kept["occurred_on"] == "2024-03-01" and kept["submitted_at"]
    return claims


async def whatif(stack, *args: str, env: dict | None = None, status: int = 0) -> str:
    environment = {"DATABASE_URL": stack.database_url, "COLUMNS": "250", "SUBSIDY_FINANCE_KEY": ""} | (env or {})
    result = await asyncio.to_thread(CliRunner().invoke, app, ["policy", "whatif", *args], env=environment)
    assert result.exit_code == status, result.output
    return result.stdout if status == 0 else result.stderr


async def test_three_node_claims_replayed_at_a_higher_rate_each_gain_the_difference(stack, stored, successor):
    report = json.loads(await whatif(stack, str(successor), "--from", "2024-01-01", "--to", "2024-12-31"))

    assert (report["applications"], report["skipped"], report["changed"]) == (4, 1, 3)
    assert (report["gained"], report["lost"], report["newly_eligible"], report["no_longer_eligible"]) == (3, 0, 0, 0)
    assert report["total"] == {"baseline": "600000.00", "draft": "900000.00", "delta": "300000.00"}
    assert report["clauses"]["1.1-node"]["total"]["delta"] == "300000.00"
    assert report["years"] == {str(this_year()): report["clauses"]["1.1-node"]}  # charged to the year decided
    assert sorted(a["credit_code"] for a in report["applicants"]) == [applicant_code(700 + n) for n in range(3)]
    assert {a["delta"] for a in report["applicants"]} == {"100000.00"}


async def test_outside_the_window_nothing_is_replayed(stack, stored, successor):
    report = json.loads(await whatif(stack, str(successor), "--from", "2025-01-01", "--to", "2025-12-31"))
    assert (report["applications"], report["changed"], report["total"]["delta"]) == (0, 0, "0.00")


async def test_a_draft_declaring_other_facts_for_a_clause_is_refused(stack, stored, tmp_path):
    text = illustration(
        "illustrative-other-facts",
        "2025-02-10",
        "2027-02-09",
        ('investment_cost = "money"', 'investment_cost = "count"'),
    )
    said = await whatif(
        stack, str(write(tmp_path, "other", text)), "--from", "2024-01-01", "--to", "2024-12-31", status=2
    )
    assert "does not fit the policy in force" in said and "1.1-node" in said


async def test_a_row_per_clause_and_a_total_as_csv(stack, stored, successor, tmp_path):
    out = tmp_path / "whatif.csv"
    await whatif(
        stack, str(successor), "--from", "2024-01-01", "--to", "2024-12-31", "--format", "csv", "--out", str(out)
    )
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["clause"] for r in rows] == ["1.1-node", "total"]
    assert (rows[-1]["changed"], rows[-1]["delta"]) == ("3", "300000.00")


async def test_the_page_says_when_budgets_were_not_consulted(stack, stored, successor):
    page = await whatif(stack, str(successor), "--from", "2024-01-01", "--to", "2024-12-31", "--format", "html")
    assert "Budgets were not consulted" in page and "<svg" in page
    assert "+300,000.00" in page and "illustrative-successor-2025" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing from elsewhere


@pytest.fixture(scope="module")
def payout(stack, tmp_path_factory):
    """Intake (which announces keys) and payout (whose API gives budget lines), each its own process."""
    logs = tmp_path_factory.mktemp("logs")
    processes = [ServiceProcess(name, free_port(), stack.env(), logs / f"{name}.log") for name in ("intake", "payout")]
    for p in processes:
        p.start().wait_ready()
    yield processes[1]
    for p in processes:
        p.stop()


async def test_the_page_names_the_budget_lines_the_draft_would_exceed(stack, stored, successor, payout):
    key = await stack.key(role="finance")
    await fund(stack.database_url, "250000.00", clause="1.1-node")  # nothing committed on it here yet
    await fund(stack.database_url, "5000000.00", clause="4.9-standard")

    async def known() -> bool:  # payout's replica learns the key from intake
        import httpx

        async with httpx.AsyncClient() as client:
            answer = await client.get(f"{payout.url}/v1/budgets", headers={"Authorization": f"Bearer {key}"})
            return answer.status_code == 200

    await until(known, 30)
    page = await whatif(
        stack,
        str(successor),
        *("--from", "2024-01-01", "--to", "2024-12-31", "--format", "html", "--payout-url", payout.url),
        env={"SUBSIDY_FINANCE_KEY": key},
    )
    assert "Budgets were not consulted" not in page
    assert "2 budget line(s) read from payout" in page
    overrun = page.split("budget lines the draft would exceed")[1].split("</table>")[0]
    assert f"<td>{this_year()}</td><td>1.1-node</td>" in overrun and "50,000.00" in overrun  # 300,000 on 250,000
    assert "4.9-standard" not in overrun
