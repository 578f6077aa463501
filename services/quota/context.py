"""What the round operations need from the outside: a clock, the policy, and a way to owe events.

`Runtime` is a publisher (its `event` and `publish`); the `subsidy rounds` commands use `Outbox`,
which writes the same outbox rows the running service's relay then publishes."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from services.quota.domain.lifecycle import RuleBroken
from shared.messaging import outbox
from shared.messaging.envelope import Envelope
from shared.messaging.payloads import Payload
from shared.policy import PolicyBook
from shared.policy.clause import ClauseRule
from shared.policy.formulas import Selection
from shared.workdays import beijing_day


class Clock(Protocol):
    def now(self) -> datetime: ...


class Publisher(Protocol):
    def event(self, payload: Payload, *, key: str, subject: str, cause: Envelope | None = None) -> Envelope: ...

    async def publish(self, session: AsyncSession, *events: Envelope) -> None: ...


class Outbox:
    """A publisher for processes other than the service itself (the CLI)."""

    def __init__(self, table: Table, source: str = "/subsidy/quota"):
        self.table, self.source = table, source

    def event(self, payload: Payload, *, key: str, subject: str, cause: Envelope | None = None) -> Envelope:
        return Envelope.of(payload, source=self.source, key=key, subject=subject, cause=cause)

    async def publish(self, session: AsyncSession, *events: Envelope) -> None:
        await outbox.add(session, self.table, *events)


@dataclass(frozen=True)
class SelectionClause:
    id: str
    rule: ClauseRule
    formula: Selection
    benefits_zh: str | None
    benefits_en: str | None

    @property
    def monetary(self) -> bool:
        return self.formula.if_selected is not None


@dataclass
class Context:
    clock: Clock
    publisher: Publisher
    book: PolicyBook

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        """The day in Beijing: notices and deadlines are counted on China's calendar."""
        return beijing_day(self.clock.now())

    def selection(self, clause: str) -> SelectionClause:
        for version in reversed(self.book.versions):
            rule = version.rules.get(clause)
            if rule is not None and rule.is_selection:
                data = next(c for c in version.data["clauses"] if c["id"] == clause)
                return SelectionClause(clause, rule, rule.formula, data.get("benefits_zh"), data.get("benefits_en"))
        known = sorted({cid for v in self.book.versions for cid, r in v.rules.items() if r.is_selection})
        raise RuleBroken(
            "not_a_selection",
            f"{clause} is not a selection clause; selections: {', '.join(known)}",
            f"{clause} 不是遴选类条款；遴选类条款：{'、'.join(known)}",
            status=422,
        )
