"""The composition root: what a process needs, built once from its settings.

Every entry point starts here — each service's app (`services/<name>/main.py`), every `subsidy`
command, the console, the demo and the finance stand-in — and hands what it gets to the code that
needs it. Nothing else builds a policy book, a clock, an engine or a publisher, and nothing is
built at import time: two sources of one truth always drift.

    wiring = bootstrap(settings, metadata)       # opens nothing: the engine connects on first use
    async with wiring.sessions.begin() as session:
        await wiring.publisher.publish(session, wiring.publisher.event(payload, key=…, subject=…))

A process without a schema of its own (`subsidy evaluate`, `subsidy demo`) is bootstrapped without
one and gets the core: its settings, clock and policy.
"""

from dataclasses import dataclass
from typing import overload

from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared import db
from shared.clock import Clock, FileClock, SystemClock
from shared.messaging import outbox
from shared.messaging.outbox import Publisher
from shared.messaging.wakeups import Listener
from shared.policy.book import load_policies
from shared.policy.current import CurrentPolicy
from shared.settings import Settings


@dataclass(frozen=True)
class Core:
    """What every process has."""

    settings: Settings
    clock: Clock
    policy: CurrentPolicy

    @property
    def service(self) -> str:
        return self.settings.service_name


@dataclass(frozen=True)
class Wiring(Core):
    """A process that keeps state: its schema's adapters besides the core."""

    metadata: MetaData  # the tables of the process's own schema
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]  # whose transactions write what they owe to the outbox
    publisher: Publisher
    listener: Listener  # wakes the process's loops on what other processes committed; listens once run


@overload
def bootstrap(settings: Settings) -> Core: ...


@overload
def bootstrap(settings: Settings, metadata: MetaData) -> Wiring: ...


def bootstrap(settings: Settings, metadata: MetaData | None = None) -> Core:
    clock = FileClock(settings.clock_file) if settings.clock_file else SystemClock()
    policy = CurrentPolicy(load_policies(settings.policy_extra_files))
    if metadata is None:
        return Core(settings, clock, policy)
    schema = str(metadata.schema)
    engine = db.create_engine(
        settings.sqlalchemy_url,
        schema,
        pool_size=settings.database_pool_size,
        statement_timeout_s=settings.database_statement_timeout_s,
    )
    publisher = Publisher(f"/subsidy/{settings.service_name}", metadata.tables[f"{schema}.outbox"])
    sessions = outbox.sessions(engine, publisher)
    return Wiring(settings, clock, policy, metadata, engine, sessions, publisher, Listener(engine))
