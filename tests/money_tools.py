"""Money helpers for tests: fund a budget line, and verify the ledger, straight on payout's schema."""

import os
from datetime import UTC, datetime
from decimal import Decimal

from services.payout import budgets
from services.payout.audit import verify_ledger
from services.payout.context import Context, Outbox
from services.payout.domain.money import budget_year
from services.payout.tables import SCHEMA, metadata
from shared import db

PAYEE_ACCOUNT = "6222020200112233445"


def this_year() -> int:
    return budget_year(datetime.now(UTC))


def payee_for(name: str, account_number: str = PAYEE_ACCOUNT) -> dict:
    return {"account_name": name, "account_number": account_number, "bank": "中国工商银行成都高新支行"}


async def _run(database_url: str, operation):
    engine = db.create_engine(database_url, SCHEMA, pool_size=1)
    try:
        ctx = Context(Outbox(metadata.tables[f"{SCHEMA}.outbox"]), os.environ["LEDGER_KEY"].encode())
        async with db.sessions(engine).begin() as session:
            return await operation(session, ctx)
    finally:
        await engine.dispose()


async def fund(
    database_url: str, amount: str = "100000000000.00", clause: str = "1.1-node", year: int | None = None
) -> dict:
    """Sets a budget line (this year's by default), as `subsidy budgets set` does."""
    return await _run(
        database_url, lambda s, ctx: budgets.set_budget(s, ctx, year or this_year(), clause, Decimal(amount), by="test")
    )


async def verified(database_url: str):
    """What `subsidy ledger verify` finds."""
    return await _run(database_url, lambda s, ctx: verify_ledger(s, ctx.key))
