"""Webhook secrets that earlier releases kept in clear are sealed by the migration that removes
the clear column; without SECRETS_KEY it refuses rather than lose or keep them."""

import uuid

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.migrations import _config
from shared.secretbox import SecretBox
from tests.conftest import SECRETS_KEY
from tests.infra import create_database

pytestmark = pytest.mark.integration


async def notify_at(url: str, revision: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text('CREATE SCHEMA IF NOT EXISTS "notify"'))
            await conn.run_sync(lambda c: command.upgrade(_config("notify", c), revision))
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


async def test_secrets_kept_in_clear_are_sealed_and_the_clear_column_dropped(postgres, monkeypatch):
    url = await create_database(postgres.url_template, f"test_seal_{uuid.uuid4().hex[:8]}")
    await notify_at(url, "0002_webhooks")
    await execute(
        url,
        "INSERT INTO notify.webhooks VALUES ('portal', 'https://93.184.215.14/h', "
        "'whsec-in-clear', now()), ('gone', '', '', now())",
    )

    monkeypatch.delenv("SECRETS_KEY", raising=False)
    with pytest.raises(RuntimeError, match="set SECRETS_KEY"):
        await notify_at(url, "head")
    monkeypatch.setenv("SECRETS_KEY", SECRETS_KEY)
    await notify_at(url, "head")

    rows = dict(await execute(url, "SELECT partner_id, secret_ciphertext FROM notify.webhooks"))
    assert SecretBox(SECRETS_KEY).open(rows["portal"]) == "whsec-in-clear" and rows["gone"] == ""
    columns = await execute(
        url,
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'notify' AND table_name = 'webhooks'",
    )
    assert "secret" not in {c for (c,) in columns}
