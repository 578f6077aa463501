"""What changes from one policy version to another, clause by clause, in English or Chinese.

`diff` compares the compiled versions (so "0.2" and "0.20" are one rate, tiers compare by threshold)
and gives a structured result; `render` words it. Values are plain text: money as plain decimals
with two places ("1000000.00"), rates as the shares the policy data writes ("0.20").
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from .book import PolicyVersion
from .clause import ClauseRule
from .formulas import FixedByLevel, Formula, RateWithCap, Selection, TieredThresholds

Language = Literal["en", "zh"]
# (what, which one of several or None) -> its value as plain text
Terms = dict[tuple[str, str | None], str]


@dataclass(frozen=True, slots=True)
class Change:
    what: str  # a key of LABELS: "window", "rate", "cap", "tier", "condition", "fact", …
    item: str | None  # which one, where a clause has several: the fact, the tier's threshold, the level
    old: str | None  # None: added
    new: str | None  # None: removed


@dataclass(frozen=True, slots=True)
class ClauseDiff:
    clause: str
    status: Literal["added", "removed", "changed"]
    article: str
    title_zh: str
    title_en: str
    changes: tuple[Change, ...]  # an added clause: all its terms, as added; a removed one: none


@dataclass(frozen=True, slots=True)
class VersionDiff:
    old: str  # version ids
    new: str
    changes: tuple[Change, ...]  # the version's own terms: window, interpretive parameters, enums
    clauses: tuple[ClauseDiff, ...]  # only the clauses that differ, in the new version's order
    unchanged: tuple[str, ...]  # clause ids held by both, the same

    @property
    def empty(self) -> bool:
        return not self.changes and not self.clauses


def diff(old: PolicyVersion, new: PolicyVersion) -> VersionDiff:
    old_clauses, new_clauses = _clauses(old), _clauses(new)
    clauses, unchanged = [], []
    for cid, data in new_clauses.items():
        terms = _clause_terms(data, new.rules[cid])
        if cid not in old_clauses:
            clauses.append(_clause_diff(cid, "added", data, _changes({}, terms)))
            continue
        changes = _changes(_clause_terms(old_clauses[cid], old.rules[cid]), terms)
        if changes:
            clauses.append(_clause_diff(cid, "changed", data, changes))
        else:
            unchanged.append(cid)
    clauses += [_clause_diff(cid, "removed", data, ()) for cid, data in old_clauses.items() if cid not in new_clauses]
    return VersionDiff(
        old.id, new.id, _changes(_version_terms(old), _version_terms(new)), tuple(clauses), tuple(unchanged)
    )


# what -> (English label, Chinese label); "{item}" is the one of several it is about.
LABELS: dict[str, tuple[str, str]] = {
    "window": ("window", "施行期"),
    "tier_mode": ("tier mode", "跨档计奖方式"),
    "double_claim": ("double claims", "重复申领规则"),
    "notice_working_days": ("public notice, working days", "公示期（工作日）"),
    "enum": ("values of {item}", "{item} 的取值"),
    "double_claim_group": ("double-claim group {item}, shared fact", "重复申领组 {item} 的共同事实"),
    "article": ("article", "政策条文"),
    "formula": ("formula", "计算方式"),
    "if_selected": ("award if selected", "入选后的奖补方式"),
    "applicant_kinds": ("applicant kinds", "申请主体类型"),
    "subject": ("one-time subject", "一次性奖补的对象"),
    "one_time": ("one-time", "一次性"),
    "per_year": ("once a year per", "每年一次的依据"),
    "fact": ("fact {item}", "事实 {item}"),
    "condition": ("condition on {item}", "关于 {item} 的条件"),
    "base": ("base", "计算基数"),
    "rate": ("rate", "比例"),
    "cap": ("cap, yuan", "上限（元）"),
    "amount": ("amount, yuan", "金额（元）"),
    "level_amount": ("amount for {item}, yuan", "{item} 档金额（元）"),
    "tier": ("award for more than {item} yuan", "超过 {item} 元的奖励"),
    "quota": ("quota a year", "每年名额"),
    "indicators": ("selection indicators", "遴选指标"),
    "tie_breaks": ("tie breaks", "同分排序"),
    "criterion": ("weight of review criterion {item}", "评审指标 {item} 的权重"),
}


def render(result: VersionDiff, language: Language) -> str:
    """The diff as lines of text in one language."""
    en = language == "en"
    lines = [f"{result.old} → {result.new}"]
    if result.empty:
        lines.append("no difference" if en else "无差异")
    lines += [_line(change, en) for change in result.changes]
    for clause in result.clauses:
        title = clause.title_en if en else clause.title_zh
        status = {
            "added": ("new", "新增"),
            "removed": ("removed", "删除"),
            "changed": ("changed", "有变更"),
        }[clause.status][0 if en else 1]
        if en:
            lines.append(f"clause {clause.clause} ({clause.article}, {title}): {status}")
        else:
            lines.append(f"条款 {clause.clause}（{clause.article}，{title}）：{status}")
        lines += ["  " + _line(change, en) for change in clause.changes]
    if result.unchanged:
        count = len(result.unchanged)
        lines.append(f"{count} clause(s) unchanged" if en else f"其余 {count} 个条款无变更")
    return "\n".join(lines)


def describe(change: Change, language: Language) -> str:
    """One change as a line of text in one language: "rate: 0.20 → 0.30", "比例：0.20 → 0.30"."""
    return _line(change, language == "en")


def _line(change: Change, en: bool) -> str:
    label = LABELS[change.what][0 if en else 1].format(item=change.item)
    if change.old is None:
        return f"{label}: {change.new}" if en else f"{label}：{change.new}"
    if change.new is None:
        return f"{label}: removed (was {change.old})" if en else f"{label}：删除（原为 {change.old}）"
    return f"{label}: {change.old} → {change.new}" if en else f"{label}：{change.old} → {change.new}"


def _clauses(version: PolicyVersion) -> dict[str, Mapping[str, Any]]:
    return {c["id"]: c for c in version.data["clauses"]}


def _clause_diff(
    cid: str, status: Literal["added", "removed", "changed"], data: Mapping[str, Any], changes: tuple[Change, ...]
) -> ClauseDiff:
    return ClauseDiff(cid, status, data["article"], data["title_zh"], data["title_en"], changes)


def _changes(old: Terms, new: Terms) -> tuple[Change, ...]:
    keys = [*old, *(k for k in new if k not in old)]
    return tuple(
        Change(what, item, old.get((what, item)), new.get((what, item)))
        for what, item in keys
        if old.get((what, item)) != new.get((what, item))
    )


def _version_terms(version: PolicyVersion) -> Terms:
    data = version.data
    terms: Terms = {
        ("window", None): f"{version.first_day} – {version.last_day}",
        ("tier_mode", None): data["tier_mode"],
        ("double_claim", None): data["double_claim"],
        ("notice_working_days", None): str(data["notice_working_days"]),
    }
    terms.update({("enum", name): ", ".join(values) for name, values in data.get("enums", {}).items()})
    for group in data.get("double_claim_groups", []):
        terms[("double_claim_group", " + ".join(sorted(group["clauses"])))] = group["key"]
    return terms


def _clause_terms(data: Mapping[str, Any], rule: ClauseRule) -> Terms:
    terms: Terms = {
        ("article", None): rule.article,
        ("formula", None): rule.formula.kind,
        ("applicant_kinds", None): ", ".join(rule.kinds),
        ("subject", None): rule.subject,
        ("one_time", None): _plain(rule.one_time),
    }
    if rule.per_year:
        terms[("per_year", None)] = rule.per_year
    terms.update({("fact", name): type_name for name, type_name in rule.facts.items()})
    conditions: dict[str, list[str]] = {}
    for cond in data.get("conditions", []):
        value = cond["value"]
        if rule.facts.get(cond["fact"]) == "money":
            value = [_money(Decimal(v)) for v in value] if isinstance(value, list) else _money(Decimal(value))
        conditions.setdefault(cond["fact"], []).append(f"{cond['op']} {_plain(value)}")
    terms.update({("condition", fact): " and ".join(tests) for fact, tests in conditions.items()})
    terms.update(_formula_terms(rule.formula))
    return terms


def _formula_terms(formula: Formula) -> Terms:
    if isinstance(formula, RateWithCap):
        return {("base", None): formula.base, ("rate", None): _rate(formula.rate), ("cap", None): _money(formula.cap)}
    if isinstance(formula, FixedByLevel):
        if formula.level_fact is None:
            return {("amount", None): _money(formula.amounts["*"])}
        return {("level_amount", level): _money(amount) for level, amount in formula.amounts.items()}
    if isinstance(formula, TieredThresholds):
        return {("tier", _money(tier.above)): _money(tier.amount) for tier in formula.tiers}
    if isinstance(formula, Selection):
        inner = formula.if_selected
        terms: Terms = {
            ("if_selected", None): inner.kind if inner else "none",
            ("quota", None): str(formula.quota),
            ("indicators", None): ", ".join(formula.indicators),
            ("tie_breaks", None): ", ".join(formula.tie_breaks),
        }
        terms.update({("criterion", c.id): f"{c.weight}%" for c in formula.criteria})
        return terms | (_formula_terms(inner) if inner else {})
    return {}


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _rate(value: Decimal) -> str:
    """A share with at least two places, as the policy data writes it: 0.2 -> "0.20", 0.125 -> "0.125"."""
    exponent = value.normalize().as_tuple().exponent
    places = max(2, -exponent if isinstance(exponent, int) else 0)
    return f"{value:.{places}f}"


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "{" + ", ".join(_plain(v) for v in value) + "}"
    return str(value)
