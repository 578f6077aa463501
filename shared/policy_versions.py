"""Policy versions published at run time, and the book each process builds with them.

Eligibility owns the versions: drafted, approved by a second official, withdrawn before they take
effect. Approving one publishes `PolicyVersionPublishedV1` on `subsidy.policy-versions`, and
eligibility announces every approved version again as it starts (a broker may have lost them).
Every other service that reads the policy keeps what was published in a replica table of its own
schema (`replica_table`, `replica_handlers`), so that after a restart it knows the versions even
without the broker.

Each process's `PublishedVersions` keeps its `CurrentPolicy` equal to the book its composition
root built (the bundled files and POLICY_EXTRA_FILES) plus the versions its table holds in force:
loaded before the process serves (`loaded`), then followed (`follower`), at once where this process
recorded the change, and by polling the table for what another process recorded (another pod of the
service, another HTTP worker, or an operator's command): a consumer group hands each event to one
process only, the table is what every process shares.

A version id stands for one text for ever: a replica refuses (and the consumer dead-letters) a
publication whose content hash differs from the one it holds, or one its book cannot take.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import Column, ColumnElement, Date, DateTime, MetaData, Table, Text, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.bootstrap import Wiring
from shared.events import PolicyVersionPublishedV1, PolicyVersionWithdrawnV1
from shared.messaging import wakeups
from shared.messaging.consumer import Handlers
from shared.messaging.envelope import Envelope
from shared.messaging.wakeups import Listener
from shared.observability import on_commit
from shared.policy.book import PolicyBook, PolicyVersion, parse_version
from shared.policy.clause import PolicyDataError
from shared.policy.current import CurrentPolicy

log = logging.getLogger(__name__)
# How soon a process sees a change another process recorded if the notification of it was lost.
FOLLOW_EVERY_S = 60.0


class PolicyConflict(ValueError):
    """A version id published with another text than the one held for it."""


def content_hash(source: str) -> str:
    """What a version's text is known by: the sha256 of its UTF-8 bytes (as for a bundled file's)."""
    return hashlib.sha256(source.encode()).hexdigest()


def version_of(source: str, origin: str) -> PolicyVersion:
    """The version a published text is (PolicyDataError if it is none)."""
    return parse_version(source.encode(), origin)


@dataclass(frozen=True)
class Source:
    """A version's text as a table holds it."""

    version_id: str
    content_hash: str
    source: str


class PublishedVersions:
    """Keeps a process's `CurrentPolicy` equal to its base book plus the versions in force in `table`
    (`in_force` selects them: a replica's not withdrawn, eligibility's approved). The table has
    `version_id`, `content_hash` and `source` columns."""

    def __init__(self, policy: CurrentPolicy, table: Table, in_force: ColumnElement[bool]):
        self._policy, self._table, self._in_force = policy, table, in_force
        self._base = policy.book  # the bundled versions and POLICY_EXTRA_FILES, as bootstrap built them
        self._held: frozenset[tuple[str, str]] = frozenset()  # (id, hash) of the versions in the book
        self._parsed: dict[str, PolicyVersion] = {}  # by content hash: a text is parsed once
        self._wakeup = asyncio.Event()
        self.channel = wakeups.channel(str(table.schema), table.name)
        # One refresh at a time: a slower one that read the table earlier never swaps in an older book.
        self._refreshing = asyncio.Lock()

    def book_with(self, sources: Iterable[Source]) -> PolicyBook:
        """The base book with these versions added; PolicyDataError if they do not fit together."""
        return PolicyBook([*self._base.versions, *(self._version(s) for s in sources)])

    async def book_in(self, session: AsyncSession) -> PolicyBook:
        """The book the table holds, as this session sees it (its own uncommitted changes too)."""
        return self.book_with(await self._sources(session))

    async def refresh(self, session: AsyncSession) -> bool:
        """Swaps in the table's book if its versions changed; whether it did."""
        async with self._refreshing:
            return await self._refresh(session)

    async def _refresh(self, session: AsyncSession) -> bool:
        t = self._table
        held = frozenset(
            tuple(row) for row in await session.execute(select(t.c.version_id, t.c.content_hash).where(self._in_force))
        )
        if held == self._held:
            return False
        sources = await self._sources(session)
        book = self.book_with(sources)
        self._policy.replace(book)
        added = {s.version_id for s in sources} - {version_id for version_id, _ in self._held}
        gone = {version_id for version_id, _ in self._held} - {s.version_id for s in sources}
        self._held = frozenset((s.version_id, s.content_hash) for s in sources)
        log.info(
            "policy book now %s (added %s; removed %s)",
            ", ".join(v.id for v in book.versions),
            ", ".join(sorted(added)) or "-",
            ", ".join(sorted(gone)) or "-",
        )
        return True

    async def catch_up(self, session: AsyncSession) -> None:
        """Refresh before a unit of work that must see every version committed before it began (a
        decision on an application submitted after a version was published). A table the book cannot
        take is logged here and left to the follower, which fails loudly: the work goes on under
        the book the process has."""
        try:
            await self.refresh(session)
        except PolicyDataError:
            log.exception("the published policy versions do not fit this process's book; keeping the book it has")

    def wake(self) -> None:
        """Refresh now: this process has just recorded a change."""
        self._wakeup.set()

    async def changed(self, session: AsyncSession) -> None:
        """The table changed in this session's transaction: every process following it refreshes
        once it commits (this one at once, the others when notified)."""
        await wakeups.notify(session, self.channel)
        on_commit(session, self.wake)

    def loaded(self, sessions: async_sessionmaker[AsyncSession]) -> Callable[[], AbstractAsyncContextManager[None]]:
        """A resource of the runtime: the published versions are in the book before the process
        serves or consumes anything. A table the book cannot take stops the start, loudly."""

        @asynccontextmanager
        async def load() -> AsyncIterator[None]:
            async with sessions() as session:
                await self.refresh(session)
            yield

        return load

    def follower(
        self, sessions: async_sessionmaker[AsyncSession], listener: Listener, every_s: float = FOLLOW_EVERY_S
    ) -> Callable[[], Awaitable[None]]:
        """A worker loop: refreshes when woken (by this process or a notification on the
        table's channel), and every `every_s` seconds in case a notification was missed."""
        listener.subscribe(self.channel, self.wake)

        async def follow_policy_versions() -> None:
            while True:
                self._wakeup.clear()
                async with sessions() as session:
                    await self.refresh(session)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), every_s)

        return follow_policy_versions

    async def _sources(self, session: AsyncSession) -> list[Source]:
        t = self._table
        rows = await session.execute(
            select(t.c.version_id, t.c.content_hash, t.c.source).where(self._in_force).order_by(t.c.version_id)
        )
        return [Source(*row) for row in rows]

    def _version(self, s: Source) -> PolicyVersion:
        if s.content_hash not in self._parsed:
            version = version_of(s.source, f"published policy version {s.version_id}")
            if (version.id, version.content_hash) != (s.version_id, s.content_hash):
                raise PolicyDataError(f"published policy version {s.version_id}: its text is not what it is held as")
            self._parsed[s.content_hash] = version
        return self._parsed[s.content_hash]


# ---- the replica a service keeps from eligibility's events ----


REPLICA = "published_policy_versions"


def replica_table(metadata: MetaData) -> Table:
    return Table(
        REPLICA,
        metadata,
        Column("version_id", Text, primary_key=True),
        Column("content_hash", Text, nullable=False),
        Column("source", Text, nullable=False),
        Column("first_day", Date, nullable=False),
        Column("last_day", Date, nullable=False),
        Column("approved_by", Text, nullable=False),
        Column("approved_at", DateTime(timezone=True), nullable=False),
        Column("withdrawn_by", Text),
        Column("withdrawn_at", DateTime(timezone=True)),  # kept, so that a late announcement never brings it back
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


@dataclass(frozen=True)
class Replica:
    """What a service's runtime needs to keep its book with the published versions: the handlers of
    its consumer group on `subsidy.policy-versions`, a resource that loads them before the process
    serves, and the worker that follows its table."""

    handlers: Handlers
    load: Callable[[], AbstractAsyncContextManager[None]]
    follow: Callable[[], Awaitable[None]]


def replica(wiring: Wiring, table: Table) -> Replica:
    """The replica of a service whose table of published versions is `table` (`replica_table`)."""
    versions = PublishedVersions(wiring.policy, table, table.c.withdrawn_at.is_(None))
    return Replica(
        replica_handlers(table, versions),
        versions.loaded(wiring.sessions),
        versions.follower(wiring.sessions, wiring.listener),
    )


async def load_replica(wiring: Wiring) -> None:
    """Puts the published versions the process's schema holds into its book, if it keeps a replica:
    an operator command acting as a service works with the book the service has."""
    table = wiring.metadata.tables.get(f"{wiring.metadata.schema}.{REPLICA}")
    if table is not None:
        async with wiring.sessions() as session:
            await PublishedVersions(wiring.policy, table, table.c.withdrawn_at.is_(None)).refresh(session)


def replica_handlers(table: Table, versions: PublishedVersions) -> Handlers:
    async def held_hash(session: AsyncSession, version_id: str) -> str | None:
        return (
            await session.execute(
                select(table.c.content_hash).where(table.c.version_id == version_id).with_for_update()
            )
        ).scalar_one_or_none()

    async def published(session: AsyncSession, event: Envelope, p: PolicyVersionPublishedV1) -> None:
        if content_hash(p.source) != p.content_hash:
            raise PolicyConflict(f"policy version {p.version_id}: its text does not have its content hash")
        held = await held_hash(session, p.version_id)
        if held is not None:
            if held != p.content_hash:
                log.error("policy version %s published as %s, held here as %s", p.version_id, p.content_hash, held)
                raise PolicyConflict(f"policy version {p.version_id} is held here with another text ({held})")
            return  # announced again (or withdrawn since: never brought back)
        await session.execute(
            insert(table).values(
                version_id=p.version_id,
                content_hash=p.content_hash,
                source=p.source,
                first_day=p.first_day,
                last_day=p.last_day,
                approved_by=p.approved_by,
                approved_at=p.approved_at,
            )
        )
        try:
            await versions.book_in(session)
        except PolicyDataError:
            log.error("policy version %s does not fit this service's policy book", p.version_id)
            raise
        await versions.changed(session)

    async def withdrawn(session: AsyncSession, event: Envelope, p: PolicyVersionWithdrawnV1) -> None:
        held = await held_hash(session, p.version_id)
        if held is None:
            log.warning("withdrawal of policy version %s, which was never published here", p.version_id)
            return
        if held != p.content_hash:
            log.error("policy version %s withdrawn as %s, held here as %s", p.version_id, p.content_hash, held)
            raise PolicyConflict(f"policy version {p.version_id} is held here with another text ({held})")
        await session.execute(
            update(table)
            .where(table.c.version_id == p.version_id, table.c.withdrawn_at.is_(None))
            .values(withdrawn_by=p.withdrawn_by, withdrawn_at=p.withdrawn_at)
        )
        await versions.changed(session)

    return {PolicyVersionPublishedV1: published, PolicyVersionWithdrawnV1: withdrawn}
