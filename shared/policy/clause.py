"""One claimable clause compiled from the policy data: conditions, subject rules, formula, double claims."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .conditions import Condition, show
from .decision import Decision, Grant, History, HistoryScope, Outcome, PriorGrant, Reason, Step
from .formulas import (
    Criterion,
    FixedByLevel,
    Formula,
    GrantRow,
    RateWithCap,
    Selection,
    Tier,
    TieredThresholds,
    text_fact,
)
from .money import FEN, ZERO, yuan

FORMULAS = ("rate_with_cap", "fixed_by_level", "tiered_thresholds", "selection")


def _money(text: str) -> Decimal:
    """An amount from the data, in fen, so every award and grant prints with two decimals."""
    return Decimal(text).quantize(FEN)


class PolicyDataError(ValueError):
    """The policy data is inconsistent (raised at load time, never while deciding)."""


@dataclass(frozen=True, slots=True)
class VersionParams:
    """What a clause needs to know of its version."""

    version_id: str
    content_hash: str
    first_day: dt.date
    last_day: dt.date
    window_article: str
    tier_mode: str
    double_claim: str
    notice_working_days: int


@dataclass(frozen=True, slots=True)
class DoubleClaimGroup:
    others: frozenset[str]  # the other clauses of the group
    key: str  # the fact identifying the shared project


# A clause's table as tomllib parses it.
ClauseData = Mapping[str, Any]


class ClauseRule:
    def __init__(self, data: ClauseData, version: VersionParams, group: DoubleClaimGroup | None):
        try:
            self._compile(data, version, group)
        except KeyError as missing:
            raise PolicyDataError(f"clause {data.get('id')!r}: missing {missing}") from None

    def _compile(self, data: ClauseData, version: VersionParams, group: DoubleClaimGroup | None) -> None:
        self.id, self.article = data["id"], data["article"]
        self.facts: dict[str, str] = dict(data["facts"])
        self.kinds = tuple(data["applicant_kinds"])
        self.subject, self.one_time = data["subject"], data["one_time"]
        self.per_year: str | None = data.get("per_year")
        self.version, self.group = version, group
        self.has_project = "project_id" in self.facts
        self.conditions = [
            Condition(c["fact"], c["op"], self._threshold(c), c["wording_zh"], self.article)
            for c in data.get("conditions", [])
        ]
        self.formula = self._formula(data, data["formula"])
        self.is_selection = isinstance(self.formula, Selection)
        self.obligation_en = data.get("obligation_en")
        self.obligation_zh = data.get("obligation_zh") or self.obligation_en
        for name in self._facts_named(data):
            if name not in self.facts:
                raise PolicyDataError(f"clause {self.id!r} uses fact {name!r} it does not declare")

    @property
    def selection(self) -> Selection:
        """The formula of a selection clause (`is_selection`): its quota, indicators and rubric."""
        if not isinstance(self.formula, Selection):
            raise TypeError(f"clause {self.id!r} is not a selection")
        return self.formula

    def _facts_named(self, data: ClauseData) -> list[str]:
        named = [c.fact for c in self.conditions]
        named += [data[k] for k in ("base", "level_fact", "tier_fact", "period_fact") if k in data]
        named += data.get("selection", {}).get("indicators", [])
        if self.subject != "applicant":
            named.append(self.subject)
        if self.per_year not in (None, "selection_year"):
            named.append(self.per_year)
        if self.group:
            named.append(self.group.key)
        return named

    def _threshold(self, cond: Mapping[str, Any]) -> object:
        kind = self.facts.get(cond["fact"])
        if kind is None:
            raise PolicyDataError(f"clause {self.id!r}: condition on undeclared fact {cond['fact']!r}")
        value = cond["value"]
        if kind == "money":
            return [Decimal(v) for v in value] if isinstance(value, list) else Decimal(value)
        return value

    def _formula(self, data: ClauseData, kind: str) -> Formula:
        article = self.article
        if kind == "rate_with_cap":
            return RateWithCap(data["base"], Decimal(data["rate"]), _money(data["cap"]), article)
        if kind == "fixed_by_level":
            if "level_fact" in data:
                return FixedByLevel(data["level_fact"], {k: _money(v) for k, v in data["amounts"].items()}, article)
            return FixedByLevel(None, {"*": _money(data["amount"])}, article)
        if kind == "tiered_thresholds":
            tiers = [Tier(Decimal(t["above"]), _money(t["amount"]), t["wording_zh"]) for t in data["tiers"]]
            return TieredThresholds(data["tier_fact"], data["period_fact"], tiers, self.version.tier_mode, article)
        if kind == "selection":
            sel = data["selection"]
            inner = None if data["if_selected"] == "none" else self._formula(data, data["if_selected"])
            money = {n for n in sel["indicators"] if self.facts.get(n) == "money"}
            return Selection(
                inner,
                sel["quota"],
                sel["indicators"],
                money,
                sel["tie_breaks"],
                data.get("benefits_en"),
                self.version.notice_working_days,
                article,
                self._criteria(sel.get("criteria", [])),
                data.get("benefits_zh"),
            )
        raise PolicyDataError(f"clause {self.id!r}: unknown formula {kind!r}; known: {', '.join(FORMULAS)}")

    def _criteria(self, rows: list[Mapping[str, Any]]) -> tuple[Criterion, ...]:
        """The review rubric: unique ids, whole-percent weights above zero that sum to 100."""
        criteria = tuple(Criterion(r["id"], r["title_zh"], r["title_en"], r["weight"]) for r in rows)
        if not criteria:
            raise PolicyDataError(f"clause {self.id!r}: a selection needs review criteria")
        if len({c.id for c in criteria}) != len(criteria):
            raise PolicyDataError(f"clause {self.id!r}: two review criteria share an id")
        if any(not isinstance(c.weight, int) or isinstance(c.weight, bool) or c.weight <= 0 for c in criteria):
            raise PolicyDataError(f"clause {self.id!r}: criterion weights must be whole percents above 0")
        if sum(c.weight for c in criteria) != 100:
            raise PolicyDataError(
                f"clause {self.id!r}: criterion weights sum to {sum(c.weight for c in criteria)}, not 100"
            )
        return criteria

    # ---- deciding ----

    def history_scope(self, facts: Mapping[str, object], occurred_on: dt.date) -> HistoryScope:
        """The earlier grants `decide` can look at: the subject's, the formula's own subjects
        (revenue tiers), and the shared project's under the other clauses of its group."""
        subject_key = self._subject_key(facts, occurred_on)
        keys = frozenset({subject_key, *self.formula.subject_keys})
        shared = None if self.subject == "applicant" else (self.id, subject_key)
        if self.group is None:
            return HistoryScope(keys, shared_subject=shared)
        return HistoryScope(keys, text_fact(facts, self.group.key), self.group.others, shared)

    def decide(self, kind: str, occurred_on: dt.date, facts: Mapping[str, object], history: History) -> Decision:
        reasons: list[Reason] = []
        version = self.version
        trace = [
            Step(
                f"occurred_on {occurred_on} is within {version.version_id} ({version.first_day} – {version.last_day})",
                f"发生日期 {occurred_on} 在 {version.version_id} 施行期内（{version.first_day} 至 {version.last_day}）",
                version.window_article,
            )
        ]
        if (wrong_kind := self.kind_refused(kind)) is not None:
            reasons.append(wrong_kind)
        for cond in self.conditions:
            reason = cond.check(facts)
            if reason is None:
                trace.append(cond.met_step(facts))
            else:
                reasons.append(reason)
        subject_key = self._subject_key(facts, occurred_on)
        prior = history.of_clause(self.id)
        if self.one_time or self.per_year:
            reasons.extend(self._already_granted(subject_key, prior))
        if reasons:
            return self._decision("ineligible", ZERO, reasons, trace, (), occurred_on)
        trace.extend(self._claimed_elsewhere(subject_key, history))
        award = self.formula.award(facts, subject_key, prior, occurred_on.year)
        trace.extend(award.steps)
        if award.reasons:
            return self._decision("ineligible", ZERO, list(award.reasons), trace, (), occurred_on)
        amount, grants = award.amount, award.grants
        if self.group is not None:
            amount, grants, refusal = self._double_claim(facts, history, amount, grants, trace, self.group)
            if refusal is not None:
                return self._decision("ineligible", ZERO, [refusal], trace, (), occurred_on)
        if self.obligation_en:
            trace.append(
                Step(
                    f"obligation attached to the award: {self.obligation_en}",
                    f"获得支持须履行：{self.obligation_zh}",
                    self.article,
                )
            )
        project_id = text_fact(facts, "project_id") if self.has_project else None
        return self._decision(
            "candidate" if self.is_selection else "eligible",
            amount,
            [],
            trace,
            tuple(Grant(key, value, cap, project_id) for key, value, cap in grants),
            occurred_on,
        )

    def kind_refused(self, kind: str) -> Reason | None:
        """Why an applicant of this kind may not claim under the clause, or None if it may."""
        if kind in self.kinds:
            return None
        return Reason(
            "applicant.kind",
            f"needs applicant kind ∈ {show(self.kinds)}, has {kind}",
            f"申请主体类型须为 {show(self.kinds)} 之一，实际为 {kind}",
        )

    def _subject_key(self, facts: Mapping[str, object], occurred_on: dt.date) -> str:
        key = "applicant" if self.subject == "applicant" else f"{self.subject}={facts[self.subject]}"
        if self.per_year == "selection_year":
            return f"{key};selection_year={occurred_on.year}"
        if self.per_year:
            return f"{key};{self.per_year}={facts[self.per_year]}"
        return key

    def _already_granted(self, subject_key: str, prior: list[PriorGrant]) -> list[Reason]:
        rule_en, rule_zh = (
            ("one award per year", "每年限一次") if self.per_year else ("one-time award", "一次性奖补不得重复申领")
        )
        return [
            Reason(
                "history",
                f"{g.subject_key} already received {yuan(g.amount)} under {g.clause}{_provenance_en(g)} ({rule_en})",
                f"{g.subject_key} 已在 {g.clause}{_provenance_zh(g)}获得 {yuan(g.amount)} 元（{rule_zh}）",
                "subject_already_awarded",
            )
            for g in prior
            if g.subject_key == subject_key
        ]

    def _claimed_elsewhere(self, subject_key: str, history: History) -> list[Step]:
        """Steps noting the same subject awarded under another clause, or claimed by another applicant
        (who is not named: a partner sees this trace)."""
        steps = [
            Step(
                f"{g.subject_key} was also awarded {yuan(g.amount)} under {g.clause}{_provenance_en(g)}; "
                f"claims across clauses follow the policy's double_claim = {self.version.double_claim}",
                f"{g.subject_key} 已在 {g.clause}{_provenance_zh(g)}获得 {yuan(g.amount)} 元；"
                f"跨条款申领按本政策 double_claim = {self.version.double_claim} 处理",
                self.article,
            )
            for g in history.grants
            if g.subject_key == subject_key and g.clause != self.id
        ]
        if subject_key in history.claimed_by_others:
            steps.append(
                Step(
                    f"{subject_key} has also been awarded to another applicant under {self.id}: allowed, "
                    "each is paid for its own investment; marked for the reviewers",
                    f"{subject_key} 亦已在 {self.id} 项下奖补给其他申请人：允许，各按自身投入计补；已标记，请评审关注",
                    self.article,
                    flag="subject_claimed_by_other_applicant",
                )
            )
        return steps

    def _double_claim(
        self,
        facts: Mapping[str, object],
        history: History,
        amount: Decimal,
        grants: tuple[GrantRow, ...],
        trace: list[Step],
        group: DoubleClaimGroup,
    ) -> tuple[Decimal, tuple[GrantRow, ...], Reason | None]:
        """The same project under another clause of the group: pay both, or only the larger (就高不重复)."""
        project = facts[group.key]
        others = [g for g in history.grants if g.clause in group.others and g.project_id == project]
        if not others:
            return amount, grants, None
        earlier = sum((g.amount for g in others), ZERO)
        where = ", ".join(f"{yuan(g.amount)} under {g.clause}" for g in others)
        where_zh = "、".join(f"{g.clause} 项下 {yuan(g.amount)} 元" for g in others)
        if self.version.double_claim == "allowed":
            trace.append(
                Step(
                    f"double claim allowed: {group.key} {project} also received {where}; "
                    f"the policy is silent, so both are paid",
                    f"允许跨条款申领：{group.key} {project} 另获 {where_zh}；政策未作限制，两项均予支付",
                    self.article,
                )
            )
            return amount, grants, None
        top_up = max(amount - earlier, ZERO)
        trace.append(
            Step(
                f"no_double (就高不重复): {group.key} {project} already received {where}; only the "
                f"larger award is paid in total: {yuan(amount)} − {yuan(earlier)} → {yuan(top_up)}",
                f"就高不重复：{group.key} {project} 已获 {where_zh}；合计只按较高一项支付："
                f"{yuan(amount)} − {yuan(earlier)} → {yuan(top_up)} 元",
                self.article,
            )
        )
        if top_up == ZERO and not self.is_selection:
            return (
                amount,
                grants,
                Reason(
                    "double_claim",
                    f"{group.key} {project} already received {where}, not less than this award "
                    f"{yuan(amount)} (no_double: only the larger award is paid)",
                    f"{group.key} {project} 已获 {where}，不低于本项 {yuan(amount)} 元（就高不重复）",
                ),
            )
        # A selection keeps its non-monetary benefits even when its money is absorbed.
        return top_up, tuple((key, top_up, cap) for key, _, cap in grants), None

    def _decision(
        self,
        outcome: Outcome,
        amount: Decimal,
        reasons: list[Reason],
        trace: list[Step],
        grants: tuple[Grant, ...],
        occurred_on: dt.date,
    ) -> Decision:
        return Decision(
            self.id,
            outcome,
            amount,
            tuple(reasons),
            tuple(trace),
            grants,
            self.version.version_id,
            self.version.content_hash,
            occurred_on.year if outcome == "candidate" else None,
            occurred_on,
        )


def _provenance_en(g: PriorGrant) -> str:
    return (
        f" (application {g.application_id}" + (f", {g.granted_on}" if g.granted_on else "") + ")"
        if g.application_id
        else ""
    )


def _provenance_zh(g: PriorGrant) -> str:
    return (
        f"（申请 {g.application_id}" + (f"，{g.granted_on}" if g.granted_on else "") + "）" if g.application_id else ""
    )
