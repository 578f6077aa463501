"""The reusable kinds of award formula; each clause's data picks one and gives its parameters.

A formula turns validated facts into an Award: the amount, the grants it makes (one per subject
it consumes) and the trace steps that explain it. One-time rules on the clause's own subject are
the clause's business (clause.py); a formula only tracks subjects it invents itself (revenue tiers).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from .decision import PriorGrant, Reason, Step
from .money import ZERO, down_to_fen, yuan

GrantRow = tuple[str, Decimal, Decimal]  # (subject_key, amount, the most its rule pays)


@dataclass(frozen=True, slots=True)
class Award:
    amount: Decimal
    grants: tuple[GrantRow, ...]
    steps: tuple[Step, ...]
    reasons: tuple[Reason, ...] = ()


class Formula(Protocol):
    """What a clause asks of its formula, whichever kind the data picks."""

    @property
    def kind(self) -> str: ...

    @property
    def subject_keys(self) -> tuple[str, ...]: ...

    @property
    def inputs(self) -> tuple[str, ...]:
        """The facts the amount depends on (what matching needs known to say an amount)."""
        ...

    def award(self, facts: Mapping[str, object], subject_key: str, prior: list[PriorGrant], year: int) -> Award: ...

    def describe(self) -> dict[str, object]: ...


def money_fact(facts: Mapping[str, object], name: str) -> Decimal:
    """A fact a formula computes with: money (a Decimal once parsed, facts.py), or a count where the
    policy data bases an amount on one. Anything else is a bug upstream."""
    value = facts[name]
    if isinstance(value, int):
        return Decimal(value)
    if not isinstance(value, Decimal):
        raise TypeError(f"fact {name!r} holds {type(value).__name__}, not money")
    return value


def text_fact(facts: Mapping[str, object], name: str) -> str:
    """An enum or identifier fact (parsed as str)."""
    value = facts[name]
    if not isinstance(value, str):
        raise TypeError(f"fact {name!r} holds {type(value).__name__}, not text")
    return value


class RateWithCap:
    """rate × base, rounded down to the fen, then capped (the cap itself is payable)."""

    kind = "rate_with_cap"
    subject_keys: tuple[str, ...] = ()  # subjects of its own, beside the clause's (see TieredThresholds)

    def __init__(self, base: str, rate: Decimal, cap: Decimal, article: str):
        self.base, self.rate, self.cap, self.article = base, rate, cap, article
        self.inputs = (base,)
        self._rate_shown = f"{(rate * 100).normalize():f}%"

    def award(self, facts: Mapping[str, object], subject_key: str, prior: list[PriorGrant], year: int) -> Award:
        base = money_fact(facts, self.base)
        raw = base * self.rate
        paid = down_to_fen(raw)
        # The English wording is parsed by notify (`services/notify/statuses.py`): keep its shape.
        text = f"{self.base} {yuan(base)} × {self._rate_shown} = "
        zh = f"{self.base} {yuan(base)} 元 × {self._rate_shown} = "
        if paid == raw:
            text += yuan(paid)
            zh += f"{yuan(paid)} 元"
        else:
            text += f"{raw.normalize():,f}, rounded down to the fen {yuan(paid)}"
            zh += f"{raw.normalize():,f} 元，按分向下取整为 {yuan(paid)} 元"
        cap = yuan(self.cap)
        if paid > self.cap:
            text += f"; capped at {cap} → {cap}"
            zh += f"；超过上限 {cap} 元，按上限计 → {cap} 元"
            paid = self.cap
        elif paid == self.cap:
            text += f"; exactly the cap {cap} → {yuan(paid)}"
            zh += f"；恰为上限 {cap} 元 → {yuan(paid)} 元"
        else:
            text += f"; cap {cap} not reached → {yuan(paid)}"
            zh += f"；未超过上限 {cap} 元 → {yuan(paid)} 元"
        return Award(paid, ((subject_key, paid, self.cap),), (Step(text, zh, self.article),))

    def describe(self) -> dict[str, object]:
        return {"kind": self.kind, "base": self.base, "rate": str(self.rate), "cap": f"{self.cap:.2f}"}


class FixedByLevel:
    """A fixed amount, chosen by a level fact when the clause has levels (标准: 国际/国家/行业/团体)."""

    kind = "fixed_by_level"
    subject_keys: tuple[str, ...] = ()

    def __init__(self, level_fact: str | None, amounts: dict[str, Decimal], article: str):
        self.level_fact, self.amounts, self.article = level_fact, amounts, article
        self.inputs = (level_fact,) if level_fact else ()

    def award(self, facts: Mapping[str, object], subject_key: str, prior: list[PriorGrant], year: int) -> Award:
        if self.level_fact is None:
            amount = self.amounts["*"]
            text, zh = f"fixed award {yuan(amount)}", f"定额奖补 {yuan(amount)} 元"
        else:
            level = text_fact(facts, self.level_fact)
            amount = self.amounts[level]
            text = f"{self.level_fact} {level} → fixed award {yuan(amount)}"
            zh = f"{self.level_fact} 为 {level} → 定额奖补 {yuan(amount)} 元"
        return Award(amount, ((subject_key, amount, amount),), (Step(text, zh, self.article),))

    def describe(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "level_fact": self.level_fact,
            "amounts": {k: f"{v:.2f}" for k, v in self.amounts.items()},
        }


@dataclass(frozen=True, slots=True)
class Tier:
    above: Decimal  # strictly above (超过)
    amount: Decimal
    wording_zh: str

    @property
    def key(self) -> str:
        return f"tier>{self.above}"


class TieredThresholds:
    """Revenue thresholds, each rewarded at most once per enterprise ever (首次超过).

    every_tier: pay every threshold newly exceeded. highest_only: pay the highest newly exceeded
    tier less everything earlier tiers already paid (补差), still marking the lower tiers as used.
    """

    kind = "tiered_thresholds"

    def __init__(self, fact: str, period_fact: str, tiers: list[Tier], mode: str, article: str):
        if mode not in ("every_tier", "highest_only"):
            raise ValueError(f"unknown tier_mode {mode!r}")
        self.fact, self.period_fact, self.mode, self.article = fact, period_fact, mode, article
        self.inputs = (fact, period_fact)
        self.tiers = sorted(tiers, key=lambda t: t.above)
        self.subject_keys = tuple(t.key for t in self.tiers)  # each threshold is a one-time subject

    def award(self, facts: Mapping[str, object], subject_key: str, prior: list[PriorGrant], year: int) -> Award:
        value, period = money_fact(facts, self.fact), facts[self.period_fact]
        lowest = self.tiers[0]
        exceeded = [t for t in self.tiers if value > t.above]
        if not exceeded:
            return Award(
                ZERO,
                (),
                (),
                (
                    Reason(
                        self.fact,
                        f"needs {self.fact} > {yuan(lowest.above)} (the lowest threshold), has {yuan(value)} "
                        f"for fiscal {period}",
                        f"不符合“{lowest.wording_zh}”：要求 {self.fact} > {yuan(lowest.above)}，"
                        f"{period} 年度实际为 {yuan(value)}",
                    ),
                ),
            )
        used = {g.subject_key: g for g in prior}
        new = [t for t in exceeded if t.key not in used]
        steps = [
            Step(
                f"fiscal {period} {self.fact} {yuan(value)} exceeds " + ", ".join(yuan(t.above) for t in exceeded),
                f"{period} 年度 {self.fact} {yuan(value)} 元，超过门槛 " + "、".join(yuan(t.above) for t in exceeded),
                self.article,
            )
        ]
        steps += [
            Step(
                f"threshold {yuan(t.above)} already rewarded {yuan(used[t.key].amount)} earlier: not paid again",
                f"门槛 {yuan(t.above)} 此前已获奖励 {yuan(used[t.key].amount)} 元：不再重复奖励",
                self.article,
            )
            for t in exceeded
            if t.key in used
        ]
        if not new:
            return Award(
                ZERO,
                (),
                tuple(steps),
                (
                    Reason(
                        self.fact,
                        "every threshold exceeded was already rewarded: "
                        + ", ".join(f"{yuan(t.above)} ({yuan(used[t.key].amount)} earlier)" for t in exceeded),
                        "所超过的门槛均已获一次性奖励："
                        + "、".join(f"{yuan(t.above)}（已获 {yuan(used[t.key].amount)} 元）" for t in exceeded),
                    ),
                ),
            )
        grants: tuple[GrantRow, ...]
        if self.mode == "every_tier":
            grants = tuple((t.key, t.amount, t.amount) for t in new)
            amount = sum((t.amount for t in new), ZERO)
            steps.append(
                Step(
                    "every_tier: pays each threshold newly exceeded: "
                    + " + ".join(f"{yuan(t.amount)} (> {yuan(t.above)})" for t in new)
                    + f" = {yuan(amount)}",
                    "逐档奖励，每个首次超过的门槛各奖一次："
                    + " + ".join(f"{yuan(t.amount)}（> {yuan(t.above)}）" for t in new)
                    + f" = {yuan(amount)} 元",
                    self.article,
                )
            )
            return Award(amount, grants, tuple(steps))
        top = new[-1]
        earlier = sum((g.amount for g in prior), ZERO)
        amount = max(top.amount - earlier, ZERO)
        steps.append(
            Step(
                f"highest_only: highest newly exceeded threshold {yuan(top.above)} pays "
                f"{yuan(top.amount)} less {yuan(earlier)} paid by earlier tiers = {yuan(amount)}",
                f"就高补差：首次超过的最高门槛 {yuan(top.above)} 元奖励 {yuan(top.amount)} 元，"
                f"减去此前各档已获 {yuan(earlier)} 元 = {yuan(amount)} 元",
                self.article,
            )
        )
        if amount == ZERO:
            return Award(
                ZERO,
                (),
                tuple(steps),
                (
                    Reason(
                        self.fact,
                        f"highest_only: the highest new threshold pays {yuan(top.amount)}, not more than the "
                        f"{yuan(earlier)} already paid by earlier tiers",
                        f"就高补差：新达门槛奖励 {yuan(top.amount)} 元，不高于已获 {yuan(earlier)} 元",
                    ),
                ),
            )
        grants = (*tuple((t.key, ZERO, t.amount) for t in new[:-1]), (top.key, amount, top.amount))
        return Award(amount, grants, tuple(steps))

    def describe(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "fact": self.fact,
            "mode": self.mode,
            "tiers": [{"above": f"{t.above:.2f}", "amount": f"{t.amount:.2f}"} for t in self.tiers],
        }


@dataclass(frozen=True, slots=True)
class Criterion:
    """One line of a selection's review rubric: scored 0–100 by each reviewer, weighted in percent."""

    id: str
    title_zh: str
    title_en: str
    weight: int

    def describe(self) -> dict[str, object]:
        return {"id": self.id, "title_zh": self.title_zh, "title_en": self.title_en, "weight": self.weight}


class Selection:
    """Admission to a yearly selection; the panel picks within the quota later.

    The amount is what the candidate would receive if selected (monetary-if-selected), or nothing
    for a non-monetary selection (plaque, white lists, …).
    """

    kind = "selection"

    def __init__(
        self,
        if_selected: Formula | None,
        quota: int,
        indicators: list[str],
        money_indicators: set[str],
        tie_breaks: list[str],
        benefits_en: str | None,
        notice_days: int,
        article: str,
        criteria: tuple[Criterion, ...] = (),
        benefits_zh: str | None = None,
    ):
        self.if_selected, self.quota, self.indicators = if_selected, quota, indicators
        self.criteria = criteria
        self.money_indicators = money_indicators
        self.tie_breaks, self.benefits_en, self.notice_days, self.article = (
            tie_breaks,
            benefits_en,
            notice_days,
            article,
        )
        self.subject_keys = if_selected.subject_keys if if_selected else ()
        self.inputs = if_selected.inputs if if_selected else ()  # the indicators rank, they do not pay
        self.benefits_zh = benefits_zh or benefits_en
        self._ranking = ", then ".join(
            ("earlier submission" if t == "submitted_at" else f"higher {t}") for t in tie_breaks
        )
        self._ranking_zh = "，再按".join(
            ("提交时间先后" if t == "submitted_at" else f" {t} 由高到低") for t in tie_breaks
        )

    def award(self, facts: Mapping[str, object], subject_key: str, prior: list[PriorGrant], year: int) -> Award:
        shown = ", ".join(f"{name} {self._indicator(name, facts)}" for name in self.indicators)
        shown_zh = "，".join(f"{name} {self._indicator(name, facts, zh=True)}" for name in self.indicators)
        steps = [Step(f"selection indicators: {shown}", f"遴选指标：{shown_zh}", self.article)]
        grants: tuple[GrantRow, ...]
        if self.if_selected is None:
            amount, grants = ZERO, ((subject_key, ZERO, ZERO),)
            steps.append(
                Step(
                    f"non-monetary if selected: {self.benefits_en}",
                    f"入选后给予非资金支持：{self.benefits_zh}",
                    self.article,
                )
            )
        else:
            inner = self.if_selected.award(facts, subject_key, prior, year)
            amount, grants = inner.amount, inner.grants
            steps.extend(inner.steps)
            if self.benefits_en:
                steps.append(
                    Step(f"also if selected: {self.benefits_en}", f"入选后另享：{self.benefits_zh}", self.article)
                )
        steps.append(
            Step(
                f"admitted to the {year} selection: at most {self.quota} a year, ranked by "
                f"{self._ranking}; final after {self.notice_days} working days of public notice (公示)",
                f"纳入 {year} 年度遴选：每年不超过 {self.quota} 个，按{self._ranking_zh}排序；"
                f"公示 {self.notice_days} 个工作日后确定",
                self.article,
            )
        )
        return Award(amount, grants, tuple(steps))

    def _indicator(self, name: str, facts: Mapping[str, object], zh: bool = False) -> str:
        if facts[name] is None:
            return "待评审专家评分" if zh else "pending (set by the review panel)"
        if name in self.money_indicators:
            return yuan(money_fact(facts, name)) + (" 元" if zh else "")
        return str(facts[name])

    def describe(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "quota": self.quota,
            "indicators": self.indicators,
            "tie_breaks": self.tie_breaks,
            "notice_working_days": self.notice_days,
            "criteria": [c.describe() for c in self.criteria],
            "if_selected": self.if_selected.describe() if self.if_selected else None,
        }
