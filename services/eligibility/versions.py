"""Policy versions as eligibility keeps them: drafted, approved, withdrawn (the rules are in
`domain/versions.py`), every step recorded, and published to every service through the outbox.

The API (`api/versions.py`) and the operator commands (`versions_cli.py`) both act through these
functions, each in one transaction: the version's row, its step and the event it owes commit
together or not at all. Lifecycle writes take one advisory lock, so that two approvals never both
check against a book that holds neither, and an announcement never crosses a withdrawal.
"""

import logging
import zlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.eligibility.domain import versions as rules
from services.eligibility.domain.versions import Drafting, Record, State
from services.eligibility.tables import decisions, policy_version_steps, policy_versions
from shared.bootstrap import Wiring
from shared.clock import Clock
from shared.events import PolicyVersionPublishedV1, PolicyVersionWithdrawnV1
from shared.messaging.outbox import Publisher
from shared.policy import PolicyBook
from shared.policy.validation import Problem, validate
from shared.policy_versions import PublishedVersions, version_of
from shared.refusal import Refused
from shared.workdays import BEIJING

log = logging.getLogger(__name__)
LIFECYCLE_LOCK = zlib.crc32(b"eligibility.policy_versions")
# What reading a text that is not a version may raise: the loader's refusal, whatever it is.
NOT_A_VERSION = (LookupError, ValueError, TypeError, AttributeError, ArithmeticError, RecursionError)


@dataclass(frozen=True)
class Lifecycle:
    """What the lifecycle needs from outside: the clock, the publisher, and the process's book as
    its approved versions make it."""

    clock: Clock
    publisher: Publisher
    published: PublishedVersions

    @classmethod
    def of(cls, wiring: Wiring) -> "Lifecycle":
        return cls(
            wiring.clock,
            wiring.publisher,
            PublishedVersions(wiring.policy, policy_versions, policy_versions.c.state == State.APPROVED),
        )


def check_source(source: str, book: PolicyBook) -> list[Problem]:
    """What is wrong with a version's text, if it is to be published into `book`: nothing, or each
    problem, named by its TOML key (`shared.policy.validation`). A version published at run time
    takes an id of its own: one that is in the book already (bundled, or in POLICY_EXTRA_FILES) is
    refused even with the same text."""
    if problems := validate(source, book):
        return problems
    version = version_of(source, "the draft")
    if any(v.id == version.id for v in book.versions):
        return [
            Problem(
                "id",
                None,
                "version_in_book",
                f"{version.id} is a version of the book already (bundled, or in POLICY_EXTRA_FILES): "
                "a version published at run time takes an id of its own",
                f"{version.id} 已在政策库中（随版本发布或由 POLICY_EXTRA_FILES 加载），"
                "运行时发布的版本须使用新的版本号",
            )
        ]
    return []


def invalid(problems: list[Problem]) -> Refused:
    return Refused(
        "invalid_policy_version",
        "the text is not a policy version that can be published: "
        + "; ".join(f"{p.key or '(file)'}: {p.en}" for p in problems),
        "该文本不是可发布的政策版本：" + "；".join(f"{p.key or '（文件）'}：{p.zh}" for p in problems),
        status=422,
        fields=[
            {
                "field": f"source.{p.key}" if p.key else "source",
                "code": p.code,
                "message_en": p.en if p.clause is None else f"clause {p.clause}: {p.en}",
                "message_zh": p.zh if p.clause is None else f"条款 {p.clause}：{p.zh}",
            }
            for p in problems
        ],
    )


async def draft(session: AsyncSession, lifecycle: Lifecycle, source: str, by: str, reason: str = "") -> dict[str, Any]:
    """Records `source` as a draft under the id it gives itself (or as its draft's new text);
    `invalid_policy_version` (422) with the problems, and nothing stored, if it is not a version
    that could join the book."""
    by = rules.official(by)
    await _lock(session)
    book = await lifecycle.published.book_in(session)
    try:
        version = version_of(source, "the draft")
    # Not a version at all: say why, key by key (whatever the loader raises is its refusal).
    except NOT_A_VERSION:
        raise invalid(check_source(source, book)) from None
    # An approved or withdrawn id is refused for what it is, before the text is checked against the book.
    drafting = rules.draft(await record(session, version.id), version.id, version.content_hash)
    if problems := check_source(source, book):
        raise invalid(problems)
    if drafting is Drafting.UNCHANGED:
        return await one(session, version.id)
    now = lifecycle.clock.now()
    values = {
        "content_hash": version.content_hash,
        "source": source,
        "first_day": version.first_day,
        "last_day": version.last_day,
        "drafted_by": by,
        "drafted_at": now,
    }
    if drafting is Drafting.NEW:
        await session.execute(insert(policy_versions).values(version_id=version.id, state=State.DRAFT, **values))
    else:
        await session.execute(update(policy_versions).where(policy_versions.c.version_id == version.id).values(values))
    step = "drafted" if drafting is Drafting.NEW else "redrafted"
    await _step(session, version.id, step, version.content_hash, by, now, reason)
    return await one(session, version.id)


async def approve(
    session: AsyncSession, lifecycle: Lifecycle, version_id: str, by: str, reason: str = ""
) -> dict[str, Any]:
    """Approves a draft (by an official other than its drafter) and publishes it to every service."""
    by = rules.official(by)
    await _lock(session)
    record = await _found(session, version_id)
    rules.approve(record, by)
    row = (await session.execute(select(policy_versions).where(policy_versions.c.version_id == version_id))).one()
    # The book may have changed since the draft was checked: it must still fit the book as approved now.
    if problems := check_source(row.source, await lifecycle.published.book_in(session)):
        raise invalid(problems)
    now = lifecycle.clock.now()
    await session.execute(
        update(policy_versions)
        .where(policy_versions.c.version_id == version_id)
        .values(state=State.APPROVED, approved_by=by, approved_at=now)
    )
    await _step(session, version_id, "approved", record.content_hash, by, now, reason)
    await _publish(session, lifecycle, {**row._asdict(), "approved_by": by, "approved_at": now})
    await lifecycle.published.changed(session)
    return await one(session, version_id)


async def withdraw(
    session: AsyncSession, lifecycle: Lifecycle, version_id: str, by: str, reason: str = ""
) -> dict[str, Any]:
    """Withdraws a draft, or an approved version before its first day with no decision under it
    (and tells every service to take it out of its book)."""
    by = rules.official(by)
    await _lock(session)
    record = await _found(session, version_id)
    decided = (
        await session.execute(select(exists().where(decisions.c.body["policy_version"].astext == version_id)))
    ).scalar_one()
    rules.withdraw(record, lifecycle.clock.now().astimezone(BEIJING).date(), decided)
    now = lifecycle.clock.now()
    await session.execute(
        update(policy_versions)
        .where(policy_versions.c.version_id == version_id)
        .values(state=State.WITHDRAWN, withdrawn_by=by, withdrawn_at=now)
    )
    await _step(session, version_id, "withdrawn", record.content_hash, by, now, reason)
    if record.state is State.APPROVED:  # a draft was never published: nobody has it to take out
        withdrawn = PolicyVersionWithdrawnV1(
            version_id=version_id, content_hash=record.content_hash, withdrawn_by=by, withdrawn_at=now, reason=reason
        )
        await lifecycle.publisher.publish(
            session, lifecycle.publisher.event(withdrawn, key=version_id, subject=version_id)
        )
        await lifecycle.published.changed(session)
    return await one(session, version_id)


async def announce(session: AsyncSession, lifecycle: Lifecycle) -> int:
    """Publishes every approved version again: a broker that started empty (the embedded one keeps
    nothing) or a service's new replica learns them. Replicas take a version they hold as a repeat."""
    await _lock(session)
    rows = (
        await session.execute(
            select(policy_versions)
            .where(policy_versions.c.state == State.APPROVED)
            .order_by(policy_versions.c.approved_at)
        )
    ).all()
    for row in rows:
        await _publish(session, lifecycle, row._asdict())
    return len(rows)


def announced(
    sessions: async_sessionmaker[AsyncSession], lifecycle: Lifecycle
) -> Callable[[], AbstractAsyncContextManager[None]]:
    """A resource of eligibility's runtime: as it starts, it announces every approved version."""

    @asynccontextmanager
    async def announcing() -> AsyncIterator[None]:
        async with sessions.begin() as session:
            count = await announce(session, lifecycle)
        if count:
            log.info("announced %d approved policy version(s)", count)
        yield

    return announcing


async def listing(session: AsyncSession) -> list[dict[str, Any]]:
    rows = await session.execute(select(*_SUMMARY).order_by(policy_versions.c.first_day, policy_versions.c.version_id))
    return [dict(row._mapping) for row in rows]


async def one(session: AsyncSession, version_id: str) -> dict[str, Any]:
    """A version with its text and its steps; `version_not_found` (404) if there is none."""
    row = (
        await session.execute(
            select(*_SUMMARY, policy_versions.c.source).where(policy_versions.c.version_id == version_id)
        )
    ).first()
    if row is None:
        raise _not_found(version_id)
    s = policy_version_steps
    steps = await session.execute(
        select(s.c.step, s.c.content_hash, s.c.by, s.c.at, s.c.reason)
        .where(s.c.version_id == version_id)
        .order_by(s.c.id)
    )
    return {**row._mapping, "steps": [dict(step._mapping) for step in steps]}


_SUMMARY = [
    policy_versions.c[name]
    for name in (
        "version_id",
        "content_hash",
        "state",
        "first_day",
        "last_day",
        "drafted_by",
        "drafted_at",
        "approved_by",
        "approved_at",
        "withdrawn_by",
        "withdrawn_at",
    )
]


async def _lock(session: AsyncSession) -> None:
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LIFECYCLE_LOCK})


async def record(session: AsyncSession, version_id: str, *, lock: bool = True) -> Record | None:
    """What the rules need of a version, if there is one (its row locked for this transaction, unless
    only read)."""
    v = policy_versions
    query = select(v.c.version_id, v.c.content_hash, v.c.state, v.c.first_day, v.c.drafted_by).where(
        v.c.version_id == version_id
    )
    row = (await session.execute(query.with_for_update() if lock else query)).first()
    return (
        None
        if row is None
        else Record(row.version_id, row.content_hash, State(row.state), row.first_day, row.drafted_by)
    )


async def _found(session: AsyncSession, version_id: str) -> Record:
    found = await record(session, version_id)
    if found is None:
        raise _not_found(version_id)
    return found


def _not_found(version_id: str) -> Refused:
    return Refused("version_not_found", f"no policy version {version_id}", f"没有政策版本 {version_id}", status=404)


async def _step(
    session: AsyncSession, version_id: str, step: str, content_hash: str, by: str, at: datetime, reason: str
) -> None:
    await session.execute(
        insert(policy_version_steps).values(
            version_id=version_id, step=step, content_hash=content_hash, by=by, at=at, reason=reason
        )
    )


async def _publish(session: AsyncSession, lifecycle: Lifecycle, row: dict[str, Any]) -> None:
    published = PolicyVersionPublishedV1(
        version_id=row["version_id"],
        content_hash=row["content_hash"],
        source=row["source"],
        first_day=row["first_day"],
        last_day=row["last_day"],
        drafted_by=row["drafted_by"],
        approved_by=row["approved_by"],
        approved_at=row["approved_at"],
    )
    await lifecycle.publisher.publish(
        session, lifecycle.publisher.event(published, key=row["version_id"], subject=row["version_id"])
    )
