"""Ranking a round: score first, then the clause's published tie-break chain, then the
application id as the last resort, so the order never depends on the database or the run."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from uuid import UUID


class Standing(StrEnum):
    PROPOSED = "proposed"  # within the quota: goes into public notice
    WAITLISTED = "waitlisted"  # above the minimum score, beyond the quota: promoted in order
    BELOW_MINIMUM = "below_minimum"  # under the round's minimum score: never selected


@dataclass(frozen=True, slots=True)
class Entry:
    application_id: UUID
    score: Decimal
    indicators: Mapping[str, str]
    submitted_at: datetime


@dataclass(frozen=True, slots=True)
class Placed:
    application_id: UUID
    rank: int
    score: Decimal
    standing: Standing
    explanation_en: str
    explanation_zh: str


def _indicator(entry: Entry, name: str) -> Decimal:
    try:
        return Decimal(entry.indicators.get(name, "0"))
    except InvalidOperation:
        return Decimal(0)


def _key(entry: Entry, chain: Sequence[str]) -> tuple[Decimal | datetime | str, ...]:
    parts: list[Decimal | datetime] = []
    for name in chain:
        if name == "review_score":
            parts.append(-entry.score)
        elif name == "submitted_at":
            parts.append(entry.submitted_at)
        else:
            parts.append(-_indicator(entry, name))
    return (-entry.score, *parts, str(entry.application_id))


def _decider(a: Entry, b: Entry, chain: Sequence[str]) -> tuple[str, str]:
    """What put `a` before `b`, in words."""
    if a.score != b.score:
        return f"higher score ({a.score} > {b.score})", f"得分更高（{a.score} > {b.score}）"
    for name in chain:
        if name == "review_score":
            continue
        if name == "submitted_at":
            if a.submitted_at != b.submitted_at:
                return (
                    f"equal score {a.score}; earlier submission ({a.submitted_at.isoformat()})",
                    f"得分同为 {a.score}；提交时间更早（{a.submitted_at.isoformat()}）",
                )
            continue
        x, y = _indicator(a, name), _indicator(b, name)
        if x != y:
            return (
                f"equal score {a.score}; higher {name} ({x} > {y})",
                f"得分同为 {a.score}；{name} 更高（{x} > {y}）",
            )
    return (
        f"equal on score and every tie-break; application id {a.application_id} sorts first",
        f"得分及各项并列规则均相同；按申请编号 {a.application_id} 排序在前",
    )


def rank(entries: Sequence[Entry], *, quota: int, min_score: Decimal, tie_breaks: Sequence[str]) -> list[Placed]:
    """Everyone in order: the first `quota` at or above `min_score` are proposed, the rest of those
    at or above it form the waitlist in order, and those below it are ranked but never selected."""
    ordered = sorted(entries, key=lambda e: _key(e, tie_breaks))
    placed, proposed = [], 0
    for i, entry in enumerate(ordered):
        if entry.score < min_score:
            standing = Standing.BELOW_MINIMUM
            why_en = f"score {entry.score} is below the round's minimum {min_score}"
            why_zh = f"得分 {entry.score} 低于本轮最低分 {min_score}"
        elif proposed < quota:
            proposed += 1
            standing = Standing.PROPOSED
            why_en, why_zh = f"within the quota of {quota}", f"在 {quota} 个名额之内"
        else:
            standing = Standing.WAITLISTED
            why_en, why_zh = f"beyond the quota of {quota}: on the waitlist", f"超出 {quota} 个名额：列入候补"
        if i > 0:
            en, zh = _decider(ordered[i - 1], entry, tie_breaks)
            why_en += f"; after rank {i}: it had {en}"
            why_zh += f"；排在第 {i} 名之后：第 {i} 名{zh}"
        placed.append(Placed(entry.application_id, i + 1, entry.score, standing, why_en, why_zh))
    return placed
