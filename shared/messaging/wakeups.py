"""Waking a process's loops when another process committed work for them (PostgreSQL LISTEN/NOTIFY).

A loop that waits for rows (the outbox relay, the policy follower) sleeps on an event that its own
process sets after a commit; what another process committed reaches it as a notification on a
channel of the schema, sent in the committing transaction (`notify`), so that it is delivered
only if the work is. Notifications are hints, never the record: a loop also looks on a slow timer,
which covers a notification lost while the listening connection was being replaced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

log = logging.getLogger(__name__)


def channel(schema: str, topic: str) -> str:
    """The channel on which a schema's `topic` (outbox, policy_versions, …) is announced."""
    return f"{schema}.{topic}"


async def notify(db: AsyncSession | AsyncConnection, name: str) -> None:
    """Announces `name` when the transaction of `db` commits (PostgreSQL folds repeats into one)."""
    await db.execute(text("SELECT pg_notify(:channel, '')"), {"channel": name})


async def sleep(told: asyncio.Event, at_most_s: float, due_in_s: float | None = None, soonest_s: float = 0.2) -> None:
    """Until `told` is set, or work known to fall due in `due_in_s` does (but not sooner than
    `soonest_s`: what is due and was not taken, another replica's, is not looked at in a tight loop),
    or at the latest after `at_most_s`."""
    wait_s = at_most_s if due_in_s is None else min(max(due_in_s, soonest_s), at_most_s)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(told.wait(), wait_s)


class Listener:
    """The process's one listening connection: calls each channel's callbacks when it is notified,
    and all of them once it (re)connects, since what was announced meanwhile was not heard."""

    def __init__(self, engine: AsyncEngine, check_every_s: float = 30.0):
        self._engine, self._check_every_s = engine, check_every_s
        self._callbacks: dict[str, list[Callable[[], None]]] = {}

    def subscribe(self, name: str, callback: Callable[[], None]) -> None:
        self._callbacks.setdefault(name, []).append(callback)

    async def run(self) -> None:
        """Listens until cancelled; a lost connection ends it (its keeper starts it again)."""
        if not self._callbacks:
            await asyncio.Event().wait()  # nothing to listen for: a loop that never ends
        async with self._engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None  # an open connection's asyncpg connection
            closed = asyncio.Event()
            raw.add_termination_listener(lambda _: closed.set())
            for name in self._callbacks:
                await raw.add_listener(name, self._heard)
            try:
                self._wake_all()
                while not closed.is_set():
                    # The termination callback is not called for every way a connection dies
                    # (a server gone silent): ask the connection itself now and then.
                    try:
                        await asyncio.wait_for(closed.wait(), self._check_every_s)
                    except TimeoutError:
                        await asyncio.wait_for(raw.execute("SELECT 1"), self._check_every_s)
                raise ConnectionError("the listening connection to PostgreSQL was closed")
            finally:
                # Never hand a listening connection back to the pool (nor wait long to close it).
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.invalidate(), 2)

    def _heard(self, _connection: Any, _pid: int, name: str, _payload: str) -> None:
        for callback in self._callbacks.get(name, []):
            callback()

    def _wake_all(self) -> None:
        for callbacks in self._callbacks.values():
            for callback in callbacks:
                callback()
