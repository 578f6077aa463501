"""A bank-style test of the money loop, after Jepsen's bank workload: random concurrent awards,
budget changes, settlements and rejections (the finance stand-in rejects a share), corrections,
cancellations and clawbacks, while payout is SIGKILLed again and again; readers check every budget
as they go. Then the invariants: money is conserved, no budget was overspent, each award's payable
is what was paid plus what is outstanding, and `subsidy ledger verify` passes."""

import asyncio
import contextlib
import copy
import itertools
import os
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from decimal import Decimal

import asyncpg
import httpx
import pytest

from shared.stack import start_services
from tests.books import EXAMPLES
from tests.builders import applicant_code
from tests.money_tools import payee_for, this_year
from tests.selection_tools import auth, key_works

pytestmark = [pytest.mark.e2e, pytest.mark.faults]
NAME = EXAMPLES["1.1-node"]["applicant"]["name"]
SECONDS = 20


@pytest.fixture(scope="module")
def services(stack, tmp_path_factory):
    env = stack.env() | {"FINANCE_SIM_REJECT_RATE": "0.25", "FINANCE_SIM_DELAY_S": "0.3"}
    procs = start_services(env, tmp_path_factory.mktemp("logs"))
    yield procs
    for proc in procs.values():
        proc.stop()


class Bank:
    def __init__(self, services, keys, rng: random.Random):
        self.services, self.keys, self.rng = services, keys, rng
        self.accepted: list[str] = []
        self.reads = 0
        self.budget_moves: Counter[tuple[bool, bool, int]] = (
            Counter()
        )  # (a cut within what is free, a line with commitments, status) → times
        self.numbers = itertools.count(int(time.time()) % 100_000 * 10)
        self.stop = asyncio.Event()

    def client(self, service: str, role: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.services[service].url, headers=auth(self.keys[role]), timeout=5)

    async def forever(self, step, pause_s: float):
        while not self.stop.is_set():
            with contextlib.suppress(httpx.HTTPError):  # payout is down for a moment: a person tries again later
                await step()
            await asyncio.sleep(pause_s * self.rng.uniform(0.5, 1.5))

    async def submit(self, intake):
        n = next(self.numbers)
        app = copy.deepcopy(EXAMPLES["1.1-node"])
        app["applicant"]["credit_code"] = applicant_code(n, prefix="91510100ME")
        app["facts"] |= {"node_id": f"B-{n}", "investment_cost": f"{self.rng.randint(1, 5000) * 100}.00"}
        roll = self.rng.random()
        if roll < 0.7:
            app["payee"] = payee_for(NAME)
        elif roll < 0.85:
            app["payee"] = payee_for(NAME, "6222020200110004")  # a closed account: rejected
        response = await intake.post("/v1/applications", json=app, headers={"Idempotency-Key": str(uuid.uuid4())})
        if response.status_code == 202:
            self.accepted.append(response.json()["id"])

    async def budget(self, payout):
        """Raises the line, cuts it within what is free, or tries to cut below what is committed."""
        lines = (await payout.get("/v1/budgets", params={"year": this_year()})).json()
        line = next((x for x in lines if x["clause"] == "1.1-node"), None)
        current = Decimal(line["amount"]) if line else Decimal(0)
        free = Decimal(line["available"]) if line else Decimal(0)
        roll = self.rng.random()
        if roll < 0.4 and free > 0:
            amount = current - (free * Decimal(self.rng.random())).quantize(Decimal("1"))
        elif roll < 0.5 and current > free:
            amount = current - free - 1  # below what is committed: refused
        else:
            amount = current + Decimal(self.rng.randint(1, 100)) * 10_000
        response = await payout.put(f"/v1/budgets/{this_year()}/1.1-node", json={"amount": f"{amount:.2f}"})
        assert response.status_code in (200, 409), response.text
        self.budget_moves[(roll < 0.4 and free > 0, current > free, response.status_code)] += 1

    async def read(self, payout):
        response = await payout.get("/v1/budgets", params={"year": this_year()})
        for line in response.json():
            assert Decimal(line["available"]) >= 0, line
            assert Decimal(line["reserved"]) + Decimal(line["paid"]) <= Decimal(line["amount"]), line
        self.reads += 1

    async def correct(self, intake, db, at_most: int = 3):
        for row in await db.fetch(
            "SELECT application_id FROM payout.payouts WHERE status IN ('held', 'rejected') ORDER BY random() LIMIT $1",
            at_most,
        ):
            await intake.put(f"/v1/applications/{row['application_id']}/payee", json=payee_for(NAME))

    async def cancel(self, payout, db):
        row = await db.fetchrow(
            "SELECT award_id FROM payout.awards WHERE state IN ('awaiting_budget', 'reserved') "
            "ORDER BY random() LIMIT 1"
        )
        if row:
            response = await payout.post(f"/v1/awards/{row['award_id']}/cancel", json={"reason": "bank test"})
            assert response.status_code in (200, 409), response.text

    async def clawback(self, payout, db):
        row = await db.fetchrow(
            "SELECT award_id, amount FROM payout.awards WHERE state = 'paid' ORDER BY random() LIMIT 1"
        )
        if row:
            amount = (row["amount"] * Decimal(self.rng.choice(["0.1", "0.5", "0.7"]))).quantize(Decimal("0.01"))
            response = await payout.post(
                f"/v1/awards/{row['award_id']}/clawbacks",
                json={"key": self.rng.choice(["review", "fraud"]), "amount": f"{amount:.2f}", "reason": "bank test"},
            )
            assert response.status_code in (200, 201, 409), response.text


@pytest.mark.timeout(300)
async def test_money_is_conserved_through_random_operations_and_sigkills_of_payout(services, stack):
    keys = {
        "partner": await stack.key(),
        "finance": await stack.key(role="finance"),
        "admin": await stack.key(role="admin"),
    }
    async with httpx.AsyncClient(base_url=services["payout"].url) as probe:
        for role in ("finance", "admin"):
            await key_works(probe, keys[role], "/v1/budgets")
    seed = int(os.environ.get("BANK_SEED", time.time()))
    print(f"BANK_SEED={seed}")  # to replay the same choices (the timings differ)
    bank = Bank(services, keys, random.Random(seed))
    db = await asyncpg.create_pool(stack.database_url.replace("+asyncpg", ""), min_size=1, max_size=4)
    async with (
        bank.client("intake", "partner") as intake,
        bank.client("payout", "finance") as finance,
        bank.client("payout", "admin") as admin,
    ):
        workers = [
            asyncio.create_task(t)
            for t in (
                *(bank.forever(lambda: bank.submit(intake), 0.05) for _ in range(3)),
                bank.forever(lambda: bank.budget(finance), 0.7),
                bank.forever(lambda: bank.read(finance), 0.2),
                bank.forever(lambda: bank.correct(intake, db), 0.5),
                bank.forever(lambda: bank.cancel(admin, db), 1.5),
                bank.forever(lambda: bank.clawback(admin, db), 0.5),
            )
        ]
        try:
            for _ in range(SECONDS // 4):
                await asyncio.sleep(4)
                services["payout"].kill()  # SIGKILL, whatever it was doing
                await asyncio.sleep(0.5)
                services["payout"].start()
            bank.stop.set()
            await asyncio.gather(*workers)
            await asyncio.to_thread(services["payout"].wait_ready)
            quiet = time.monotonic()

            # Quiet now: the line raised for everyone, every held payout corrected, until every award
            # is paid or cancelled.
            await finance.put(f"/v1/budgets/{this_year()}/1.1-node", json={"amount": "100000000000.00"})
            progress = None
            async with asyncio.timeout(150):
                while True:
                    accepted, settled = progress = await db.fetchrow(
                        "SELECT count(*), count(*) FILTER (WHERE status IN ('paid', 'payout_cancelled', "
                        "'clawback_recorded', 'ineligible')) FROM intake.applications"
                    )
                    if accepted == len(bank.accepted) and settled == accepted:
                        print(f"{accepted} applications settled {time.monotonic() - quiet:.1f} s after the load")
                        break
                    await bank.correct(intake, db, at_most=100)
                    await asyncio.sleep(0.5)
        except TimeoutError:
            states = await db.fetch("SELECT status, count(*) FROM intake.applications GROUP BY 1")
            raise AssertionError(f"not settled: {progress}, {len(bank.accepted)} accepted; {states}") from None
        finally:
            bank.stop.set()
            for w in workers:
                w.cancel()
    try:
        assert len(bank.accepted) > 50 and bank.reads > 5
        happened = await db.fetchrow("""
            SELECT (SELECT count(*) FROM payout.clawbacks) AS clawbacks,
                   (SELECT count(*) FROM payout.awards WHERE state = 'cancelled') AS cancelled,
                   (SELECT count(*) FROM payout.payouts WHERE status = 'superseded') AS corrected_rejections,
                   (SELECT count(*) FROM payout.transfers WHERE code = 'budget_cut') AS budget_cuts,
                   (SELECT count(*) FROM payout.awards WHERE state = 'paid') AS paid,
                   (SELECT count(*) FROM intake.timeline WHERE status = 'awaiting_budget') AS waited""")
        # Every kind of operation took place (a cut needs free room, which the awards rarely leave: not required).
        assert all(v for k, v in happened.items() if k != "budget_cuts"), (dict(happened), bank.budget_moves)
        await assert_the_money_is_right(db)
    finally:
        await db.close()
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services.cli", "ledger", "verify"],
        env={**os.environ, **stack.env()},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


async def assert_the_money_is_right(db: asyncpg.Pool) -> None:
    # Conserved: every amount debited somewhere is credited somewhere.
    assert await db.fetchval("SELECT sum(debits_posted) - sum(credits_posted) FROM payout.accounts") == 0
    assert await db.fetchval("SELECT sum(debits_pending) - sum(credits_pending) FROM payout.accounts") == 0
    # No budget overspent (the table refuses it too).
    assert (
        await db.fetchval(
            "SELECT count(*) FROM payout.accounts WHERE id LIKE 'budget:%' "
            "AND debits_pending + debits_posted > credits_posted"
        )
        == 0
    )
    # Each award's payable is what was paid plus what is outstanding; a cancelled one owes nothing.
    wrong = await db.fetch("""
        SELECT w.award_id, w.state, w.amount, a.credits_posted, a.credits_pending
          FROM payout.awards w LEFT JOIN payout.accounts a ON a.id = 'award:' || w.award_id
         WHERE CASE w.state
                 WHEN 'cancelled' THEN coalesce(a.credits_posted, 0) + coalesce(a.credits_pending, 0) <> 0
                 WHEN 'awaiting_budget' THEN a.id IS NOT NULL
                 ELSE w.amount <> a.credits_posted + a.credits_pending
                      OR (w.state = 'paid') <> (a.credits_posted = w.amount) END""")
    assert wrong == []
    # Paid awards were paid once, by one payout, for their amount; clawbacks never above it.
    assert (
        await db.fetchval("""
        SELECT count(*) FROM payout.awards w WHERE w.state = 'paid' AND (SELECT count(*) FROM payout.payouts p
               WHERE p.award_id = w.award_id AND p.status = 'paid' AND p.amount = w.amount) <> 1""")
        == 0
    )
    assert await db.fetchval("SELECT count(*) FROM payout.awards WHERE state NOT IN ('paid', 'cancelled')") == 0
    assert (
        await db.fetchval("""
        SELECT count(*) FROM payout.accounts a
          LEFT JOIN (SELECT award_id, sum(amount) AS total FROM payout.clawbacks GROUP BY award_id) c
                 ON a.id = 'award:' || c.award_id
         WHERE a.id LIKE 'award:%' AND (a.debits_posted > a.credits_posted
                                        OR a.debits_posted <> coalesce(c.total, 0))""")
        == 0
    )
