"""What the round operations need from outside, handed over by the composition root
(`shared/bootstrap.py`): a clock, the policy's selection terms and the publisher."""

from dataclasses import dataclass
from datetime import date, datetime

from services.quota.domain.lifecycle import RuleBroken
from shared.clock import Clock
from shared.messaging.outbox import Publisher
from shared.policy import CurrentPolicy
from shared.policy.clause import ClauseRule
from shared.policy.formulas import Selection
from shared.workdays import beijing_day


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
    policy: CurrentPolicy

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        """The day in Beijing: notices and deadlines are counted on China's calendar."""
        return beijing_day(self.clock.now())

    def selection(self, clause: str) -> SelectionClause:
        book = self.policy.book
        for version in reversed(book.versions):
            rule = version.rules.get(clause)
            if rule is not None and rule.is_selection:
                data = next(c for c in version.data["clauses"] if c["id"] == clause)
                return SelectionClause(clause, rule, rule.selection, data.get("benefits_zh"), data.get("benefits_en"))
        known = sorted({cid for v in book.versions for cid, r in v.rules.items() if r.is_selection})
        raise RuleBroken(
            "not_a_selection",
            f"{clause} is not a selection clause; selections: {', '.join(known)}",
            f"{clause} 不是遴选类条款；遴选类条款：{'、'.join(known)}",
            status=422,
        )
