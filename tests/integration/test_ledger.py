"""The payout ledger against real PostgreSQL and a real broker: two replicas booking at once never
overspend a budget, awaiting awards go ahead in the order they came, and `subsidy ledger verify`
(and finance asking payout's API, `GET /v1/ledger/verification`) finds a row a database superuser
rewrote."""

import asyncio
import os
import subprocess
import sys
from contextlib import asynccontextmanager
from decimal import Decimal

import asyncpg
import httpx
import pytest
from sqlalchemy import func, select

from services.payout.main import create_app
from services.payout.tables import accounts, awards
from shared import topics
from shared.events import AwardGrantedV1
from tests.builders import applicant_code, award
from tests.kafka_tools import eventually, publish
from tests.money_tools import fund, this_year, verified
from tests.selection_tools import auth, key_works, until

pytestmark = pytest.mark.integration


async def count(runtime, query) -> int:
    async with runtime.wiring.sessions() as s:
        return (await s.execute(query)).scalar_one()


def verify_command(stack) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "ledger", "verify"],
        env={**os.environ, **stack.env()},
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_two_replicas_booking_at_once_never_overspend_and_the_rest_wait_in_order(stack):
    await fund(stack.database_url, "50.00")
    events = [award(applicant_code(9000 + i % 40), "1.00") for i in range(200)]
    first, second = (create_app(stack.settings("payout")).state.runtime for _ in range(2))
    await first.start()
    await second.start()
    try:
        await publish(stack.bootstrap_servers, topics.AWARDS, *events)
        ids = [AwardGrantedV1.model_validate_json(e.data).award_id for e in events]
        booked = select(func.count()).where(awards.c.award_id.in_(ids))
        await eventually(lambda: _is(count(first, booked), len(events)), timeout_s=60)
        reserved = select(func.count()).where(awards.c.award_id.in_(ids), awards.c.state == "reserved")
        assert await count(first, reserved) == 50
        line = f"budget:{this_year()}:1.1-node"
        async with first.wiring.sessions() as s:
            budget = (await s.execute(select(accounts).where(accounts.c.id == line))).one()
        assert (budget.credits_posted, budget.debits_pending) == (Decimal("50.00"), Decimal("50.00"))

        # Raised by 10: the ten that came first among those waiting go ahead, and no other.
        async with first.wiring.sessions() as s:
            queue = (
                (
                    await s.execute(
                        select(awards.c.award_id)
                        .where(awards.c.award_id.in_(ids), awards.c.state == "awaiting_budget")
                        .order_by(awards.c.seq)
                    )
                )
                .scalars()
                .all()
            )
        assert (await fund(stack.database_url, "60.00"))["released"] == 10
        async with first.wiring.sessions() as s:
            now_reserved = set(
                (
                    await s.execute(
                        select(awards.c.award_id).where(awards.c.award_id.in_(queue), awards.c.state == "reserved")
                    )
                ).scalars()
            )
        assert now_reserved == set(queue[:10])
        assert (await verified(stack.database_url)).problem is None
    finally:
        await first.stop()
        await second.stop()


@pytest.fixture(scope="module")
async def keys(stack, intake):
    """A finance and a partner key; the running intake announces them to payout's key replica."""
    return {"finance": await stack.key(role="finance"), "partner": await stack.key()}


@asynccontextmanager
async def payout_api(stack, keys):
    """Payout in this process, answering over its API once its replica knows the finance key."""
    app = create_app(stack.settings("payout"))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://payout") as client,
    ):
        await key_works(client, keys["finance"], "/v1/budgets")
        yield client


async def test_finance_asks_payout_whether_the_ledger_verifies_and_a_partner_may_not(stack, keys):
    await fund(stack.database_url, "1000.00", clause="4.9-standard")  # a transfer at least
    async with payout_api(stack, keys) as payout:
        answer = await payout.get("/v1/ledger/verification", headers=auth(keys["finance"]))
        assert answer.status_code == 200, answer.text
        found = await verified(stack.database_url)  # what `subsidy ledger verify` finds
        assert answer.json() == {
            "transfers": found.rows,
            "accounts": found.accounts,
            "intact": True,
            "first_break": None,
        }
        assert found.rows > 0 and found.problem is None

        async def partner_known():  # 401 until payout's replica has the partner's key
            r = await payout.get("/v1/ledger/verification", headers=auth(keys["partner"]))
            return r.status_code != 401 and r

        refused = await until(partner_known)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
        assert (await payout.get("/v1/ledger/verification")).status_code == 401
        schema = (await payout.get("/openapi.json")).json()
        answers = schema["paths"]["/v1/ledger/verification"]["get"]["responses"]
        assert answers["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/LedgerVerification"
        }
        assert {"401", "403", "429"} <= set(answers)


async def test_a_row_rewritten_by_a_database_superuser_is_found_by_ledger_verify(stack, keys):
    runtime = create_app(stack.settings("payout")).state.runtime
    await runtime.start()
    try:
        await fund(stack.database_url)
        events = [award(applicant_code(9500 + i), "100.00") for i in range(3)]
        await publish(stack.bootstrap_servers, topics.AWARDS, *events)
        ids = [AwardGrantedV1.model_validate_json(e.data).award_id for e in events]
        await eventually(
            lambda: _is(
                count(runtime, select(func.count()).where(awards.c.award_id.in_(ids), awards.c.state == "reserved")), 3
            )
        )
    finally:
        await runtime.stop()
    intact = await asyncio.to_thread(verify_command, stack)
    assert intact.returncode == 0, intact.stderr

    superuser = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    try:
        target = await superuser.fetchrow(
            "SELECT seq, id FROM payout.transfers WHERE code = 'reserve' ORDER BY seq DESC LIMIT 1"
        )
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await superuser.execute("UPDATE payout.transfers SET amount = 1 WHERE seq = $1", target["seq"])
        # The superuser turns the guard off, lowers the amount, recomputes a plain hash and makes the
        # balances agree: everything a rewrite without the ledger key can do.
        async with superuser.transaction():
            await superuser.execute("ALTER TABLE payout.transfers DISABLE TRIGGER transfers_append_only")
            await superuser.execute(
                """
                UPDATE payout.transfers SET amount = 1.00,
                       hash = encode(sha256(convert_to(prev_hash || id::text || '1.00', 'UTF8')), 'hex')
                 WHERE seq = $1""",
                target["seq"],
            )
            await superuser.execute(
                """
                UPDATE payout.accounts SET debits_pending = debits_pending - 99.00
                 WHERE id = (SELECT debit FROM payout.transfers WHERE seq = $1)""",
                target["seq"],
            )
            await superuser.execute(
                """
                UPDATE payout.accounts SET credits_pending = credits_pending - 99.00
                 WHERE id = (SELECT credit FROM payout.transfers WHERE seq = $1)""",
                target["seq"],
            )
            await superuser.execute("ALTER TABLE payout.transfers ENABLE TRIGGER transfers_append_only")
    finally:
        await superuser.close()
    broken = await asyncio.to_thread(verify_command, stack)
    assert broken.returncode == 1
    assert f"row {target['seq']} (transfer {target['id']})" in broken.stderr and "rewritten" in broken.stderr
    # Finance asking payout's API is told the same first break.
    async with payout_api(stack, keys) as payout:
        answer = (await payout.get("/v1/ledger/verification", headers=auth(keys["finance"]))).json()
    assert answer["intact"] is False
    assert answer["first_break"]["where"] == f"row {target['seq']} (transfer {target['id']})"
    assert answer["first_break"]["why"] in broken.stderr


async def _is(value, wanted):
    return (await value) == wanted
