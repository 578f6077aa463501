"""`subsidy demo` plays a (small) policy year against the services, each its own process on a real
PostgreSQL and broker: every clause applied for, every application ends, the selection rounds run with
an objection upheld, the bank refuses an account that is then corrected and paid, a clawback is
recorded, and the report's totals are the ledger's."""

import asyncio
import os
import re
import subprocess
import sys
import time
from decimal import Decimal

import asyncpg
import pytest

from shared.stack import SERVICES, start_services
from tests.e2e.running_stack import free_port_base
from tests.money_tools import verified

pytestmark = pytest.mark.e2e
FINAL = {"ineligible", "not_selected", "paid", "clawback_recorded", "recognized"}


@pytest.fixture(scope="module")
def clock_file(tmp_path_factory):
    return tmp_path_factory.mktemp("clock") / "quota-clock"  # not written: quota keeps the system's time


@pytest.fixture(scope="module")
def stack_up(stack, tmp_path_factory, clock_file):
    base = free_port_base()
    env = stack.env() | {"QUOTA_CLOCK_FILE": str(clock_file), "QUOTA_TICK_S": "0.5"}
    procs = start_services(env, tmp_path_factory.mktemp("logs"), {name: base + i for i, name in enumerate(SERVICES)})
    yield base
    for proc in procs.values():
        proc.stop()


async def test_subsidy_demo_plays_a_year_whose_report_agrees_with_the_ledger(stack, stack_up, clock_file, tmp_path):
    report = tmp_path / "year.html"
    started = time.monotonic()
    run = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "services.cli",
            "demo",
            "--applicants",
            "40",
            "--seed",
            "11",
            "--port-base",
            str(stack_up),
            "--report",
            str(report),
            "--data-dir",
            str(tmp_path),
            "--timeout",
            "150",
        ],
        env=os.environ | stack.env() | {"QUOTA_CLOCK_FILE": str(clock_file)},
        capture_output=True,
        text=True,
        timeout=200,
    )
    said = run.stdout + run.stderr
    assert run.returncode == 0, said[-4000:]
    took = time.monotonic() - started
    assert not clock_file.exists()  # quota keeps the system's time again
    page = report.read_text()
    assert "The totals agree with the ledger" in page and "<svg" in page and "<script" not in page
    whatif = page[page.index("What an illustrative renewal would have paid") : page.index("账本核对")]
    assert "demo-illustrative-renewal" in whatif and "<svg" in whatif and "<code>1.1-node</code>" in whatif

    db = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    try:
        apps = await db.fetch(
            "SELECT id, clause, status FROM intake.applications WHERE partner_id = $1", "demo-year-portal"
        )
        assert len(apps) == 40 and len({a["clause"] for a in apps}) == 16
        open_ = [(a["clause"], a["status"]) for a in apps if a["status"] not in FINAL]
        assert not open_, open_
        assert {a["clause"] for a in apps if a["status"] == "recognized"} <= {"3.5-leading-enterprise", "3.6-demo-base"}
        # An objection upheld: its candidate removed, the first on the waiting list selected instead.
        upheld = await db.fetch("SELECT application_id FROM quota.objections WHERE status = 'upheld'")
        assert len(upheld) == 1
        removed = await db.fetchval("SELECT status FROM intake.applications WHERE id = $1", upheld[0]["application_id"])
        assert removed == "not_selected"
        assert await db.fetchval("SELECT count(*) FROM quota.notices WHERE kind = 'promotion'") == 1
        assert await db.fetchval("SELECT count(*) FROM quota.conflicts") == 1
        assert {r["state"] for r in await db.fetch("SELECT state FROM quota.rounds")} == {"concluded"}
        # The bank refused a test account; corrected, a new payout for the same award was paid.
        corrected = await db.fetch("""
            SELECT r.award_id, r.reason_code FROM payout.payouts r
              JOIN payout.payouts p ON p.award_id = r.award_id AND p.status = 'paid' AND p.attempt > r.attempt
             WHERE r.status = 'superseded' AND r.reason_code IN ('AC01', 'AC04')""")
        assert {c["reason_code"] for c in corrected} == {"AC01", "AC04"}
        # One award waited for its line to be raised; one clawback recorded on a paid award.
        assert await db.fetchval("SELECT count(*) FROM payout.awards WHERE state <> 'paid'") == 0
        assert await db.fetchval("SELECT count(*) FROM intake.timeline WHERE status = 'awaiting_budget'") >= 1
        [clawback] = await db.fetch(
            "SELECT c.amount, a.amount AS paid, a.state FROM payout.clawbacks c JOIN payout.awards a USING (award_id)"
        )
        assert clawback["state"] == "paid" and 0 < clawback["amount"] < clawback["paid"]
        # The totals the demo reported are the ledger's.
        awarded, paid = await db.fetchrow(
            "SELECT sum(amount), sum(amount) FILTER (WHERE state = 'paid') FROM payout.awards"
        )
        recovered = clawback["amount"]
    finally:
        await db.close()
    figures = re.search(r"awarded ([\d,.]+), paid ([\d,.]+), recovered ([\d,.]+)", " ".join(said.split()))
    assert figures, said[-2000:]
    assert [Decimal(x.replace(",", "")) for x in figures.groups()] == [awarded, paid, recovered]
    assert f"{awarded:,.2f}" in page and f"{paid:,.2f}" in page
    assert (await verified(stack.database_url)).problem is None
    print(f"subsidy demo --applicants 40 took {took:.0f} s")
