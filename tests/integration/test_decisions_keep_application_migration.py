"""Decisions stored before eligibility kept applications: the migration numbers them in the order
they were decided, keeps none of their applications (a replay skips them), and numbers every
decision stored afterwards after them."""

import uuid

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.migrations import _config
from tests.infra import create_database

pytestmark = pytest.mark.integration


async def eligibility_at(url: str, revision: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text('CREATE SCHEMA IF NOT EXISTS "eligibility"'))
            await conn.run_sync(lambda c: command.upgrade(_config("eligibility", c), revision))
    finally:
        await engine.dispose()


async def execute(url: str, sql: str) -> list:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(sql))
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


def decision(code: str, decided_at: str) -> str:
    return (
        f"('{uuid.uuid4()}', '{uuid.uuid4()}', '{code}', '1.1-node', 'eligible', 200000, "
        f"""'{{"occurred_on": "2024-03-01"}}', '{decided_at}')"""
    )


async def test_earlier_decisions_are_numbered_as_decided_and_later_ones_after_them(postgres):
    url = await create_database(postgres.url_template, f"test_keep_{uuid.uuid4().hex[:8]}")
    await eligibility_at(url, "0003_normalised_subject_keys")
    columns = "(id, application_id, credit_code, clause, outcome, amount, body, decided_at)"
    # Inserted out of order: the numbering follows decided_at, not where a row lies.
    await execute(
        url,
        f"INSERT INTO eligibility.decisions {columns} VALUES "
        + ", ".join(decision(c, at) for c, at in (("b", "2024-03-02"), ("c", "2024-03-03"), ("a", "2024-03-01"))),
    )

    await eligibility_at(url, "head")

    old = await execute(url, "SELECT credit_code, seq, application FROM eligibility.decisions ORDER BY seq")
    assert [(c, application) for c, _, application in old] == [("a", None), ("b", None), ("c", None)]
    await execute(url, f"INSERT INTO eligibility.decisions {columns} VALUES {decision('d', '2024-01-01')}")
    (newest,) = await execute(url, "SELECT credit_code FROM eligibility.decisions ORDER BY seq DESC LIMIT 1")
    assert newest == ("d",)
