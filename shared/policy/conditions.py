"""A clause's conditions, compiled once from the policy data into checks with bilingual reasons."""

import operator
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from .decision import Reason, Step
from .money import yuan


def _member(value: object, allowed: frozenset[object]) -> bool:
    return value in allowed


# (fact value, threshold) -> met. Facts and thresholds are whatever the fact's type parses to
# (Decimal, int, bool, str), so the comparisons are only as typed as `operator`'s own.
OPERATORS: dict[str, Callable[[Any, Any], object]] = {
    "≥": operator.ge,
    ">": operator.gt,
    "≤": operator.le,
    "=": operator.eq,
    "∈": _member,
}


def show(value: object) -> str:
    """A fact value as a person reads it: money with thousands separators, booleans in lower case."""
    if isinstance(value, Decimal):
        return yuan(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (frozenset, list, tuple)):
        return "{" + ", ".join(show(v) for v in value) + "}"
    return str(value)


class Condition:
    __slots__ = ("_shown", "_test", "article", "fact", "op", "threshold", "wording_zh")

    def __init__(self, fact: str, op: str, threshold: object, wording_zh: str, article: str):
        if op not in OPERATORS:
            raise ValueError(f"unknown operator {op!r} on {fact}")
        self.fact, self.op, self.wording_zh, self.article = fact, op, wording_zh, article
        if op == "∈":
            if not isinstance(threshold, (list, tuple)):
                raise ValueError(f"operator ∈ on {fact} needs a list of values, not {threshold!r}")
            # Keep the data's order for display, test membership against a frozenset.
            self.threshold: object = frozenset(threshold)
            self._shown = show(list(threshold))
        else:
            self.threshold = threshold
            self._shown = show(threshold)
        self._test = OPERATORS[op]

    def check(self, facts: Mapping[str, object]) -> Reason | None:
        value = facts[self.fact]
        if self._test(value, self.threshold):
            return None
        return self._reason(value)

    def met_step(self, facts: Mapping[str, object]) -> Step:
        value = show(facts[self.fact])
        return Step(
            f"{self.fact} {value} {self.op} {self._shown}: met ({self.wording_zh})",
            f"符合“{self.wording_zh}”：{self.fact} {value} {self.op} {self._shown}",
            self.article,
        )

    def _reason(self, value: object) -> Reason:
        needs = f"{self.fact} {self.op} {self._shown}"
        need_en = need_zh = tail_en = tail_zh = ""
        if isinstance(value, int) and not isinstance(value, bool) and isinstance(self.threshold, int):
            # Say what would make it eligible: the smallest qualifying count, or the gap.
            if self.op == ">":
                need_en, need_zh = f" (at least {self.threshold + 1})", f"（即至少 {self.threshold + 1}）"
            elif self.op == "≥":
                gap = self.threshold - value
                tail_en, tail_zh = f"; {gap} more would qualify", f"，还差 {gap}"
            elif self.op == "≤":
                gap = value - self.threshold
                tail_en, tail_zh = f"; {gap} fewer would qualify", f"，超出 {gap}"
        return Reason(
            self.fact,
            f"needs {needs}{need_en}, has {show(value)}{tail_en} ({self.wording_zh})",
            f"不符合“{self.wording_zh}”：要求 {needs}{need_zh}，实际为 {show(value)}{tail_zh}",
        )
