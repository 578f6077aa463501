"""The payout ledger against real PostgreSQL and a real broker: two replicas booking at once never
overspend a budget, awaiting awards go ahead in the order they came, and `subsidy ledger verify`
finds a row a database superuser rewrote."""

import asyncio
import os
import subprocess
import sys
from decimal import Decimal

import asyncpg
import pytest
from sqlalchemy import func, select

from services.payout.main import create_app
from services.payout.tables import accounts, awards
from shared import topics
from shared.events import AwardGrantedV1
from tests.builders import applicant_code, award
from tests.kafka_tools import eventually, publish
from tests.money_tools import fund, this_year, verified

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


async def test_a_row_rewritten_by_a_database_superuser_is_found_by_ledger_verify(stack):
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


async def _is(value, wanted):
    return (await value) == wanted
