"""Checks a policy file before it joins the book: every problem named by its TOML key, in English and Chinese.

`validate` is pure: the caller reads the file and hands over its bytes (or its exact text) and the
book of versions already known, against which the cross-version rules are checked. A file the
loader (`book.parse_version`, `PolicyBook`) would refuse is never valid: whatever the checks here
miss, the loader's own refusal comes back as a problem too, never as an exception.

A clause id keeps its meaning across versions: the same article of the policy, the same kind of
formula (for a selection, also the same kind of award if selected) and the same declared facts (an
application for the clause must read the same under every version). Rates, caps, amounts, tiers,
conditions, subjects and wording may change: that is what a new version is for.
"""

import datetime as dt
import hashlib
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, get_args

from .applicant import ApplicantKind
from .application import example
from .book import PolicyBook, PolicyVersion, parse_version
from .clause import FORMULAS
from .conditions import OPERATORS
from .errors import InvalidApplication
from .facts import TYPE_NAMES, fact_type

TIER_MODES = ("every_tier", "highest_only")
DOUBLE_CLAIMS = ("allowed", "no_double")
IF_SELECTED = ("none", *(f for f in FORMULAS if f != "selection"))
APPLICANT_KINDS: tuple[str, ...] = get_args(ApplicantKind)
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_AT_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")
_CLAUSE_NAMED = re.compile(r"clause '([^']*)'")
_HEADER = re.compile(r"\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?")
_PAIR = re.compile(r"\s*([A-Za-z0-9_-]+)\s*=")
DATE_KEYS = ("first_day", "last_day", "occurred_on")


@dataclass(frozen=True, slots=True)
class Problem:
    key: str  # the TOML key path, e.g. "clauses[0].rate"; "" for the file as a whole
    clause: str | None  # the clause's id, when the problem is in one
    code: str  # a short stable name for the rule broken, e.g. "rate_out_of_range"
    en: str
    zh: str
    line: int | None = None  # known for syntax errors only: tomllib gives no positions otherwise

    def __str__(self) -> str:
        where = self.key or "(file)"
        if self.line is not None:
            where += f" (line {self.line})"
        if self.clause:
            where += f" [clause {self.clause}]"
        return f"{where}: {self.en} / {self.zh}"


def validate(source: str | bytes, book: PolicyBook | None = None) -> list[Problem]:
    """Every problem of one policy file (bytes as stored, or its exact text); [] if it may join `book`.

    A file identical to a version of the book (same id, same bytes) is valid: it is that version.
    """
    raw = source.encode("utf-8") if isinstance(source, str) else source
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [Problem("", None, "encoding", f"not UTF-8: {exc}", f"文件不是 UTF-8 编码：{exc}")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return [_syntax_problem(text, exc)]
    content_hash = hashlib.sha256(raw).hexdigest()
    known = list(book.versions) if book else []
    others = [v for v in known if not (v.id == data.get("id") and v.content_hash == content_hash)]
    check = _Checker(data)
    check.version()
    check.across(others)
    if check.problems:
        return check.problems
    return _loader_problems(raw, others, data)


def _syntax_problem(text: str, exc: tomllib.TOMLDecodeError) -> Problem:
    found = _AT_LINE.search(str(exc))
    line = int(found.group(1)) if found else max(1, text.count("\n") + 1)
    detail = _AT_LINE.sub("", str(exc)).strip()
    key = key_at_line(text, line)
    if "date" in detail.lower() or key.endswith(DATE_KEYS):  # tomllib refuses 2025-02-30 as syntax
        return Problem(
            key,
            None,
            "bad_date",
            f"line {line}: not a calendar date ({detail})",
            f"第 {line} 行：日期无效，须为真实存在的日期（{detail}）",
            line,
        )
    return Problem(
        key, None, "toml_syntax", f"line {line}: TOML syntax: {detail}", f"第 {line} 行：TOML 语法错误：{detail}", line
    )


def key_at_line(text: str, line: int) -> str:
    """The key path of the pair on `line` (1-based), found from the table headers above it: best
    effort for a file tomllib cannot parse, so a syntax error can name the key it is in."""
    lines = text.splitlines()
    counts: dict[str, int] = {}  # array-of-tables path -> index of its current table
    table = ""
    for content in lines[:line]:
        header = _HEADER.fullmatch(content)
        if header is None:
            continue
        names = header.group(2).replace(" ", "")
        if header.group(1) == "[[":
            counts[names] = counts.get(names, -1) + 1
            for deeper in [name for name in counts if name.startswith(f"{names}.")]:
                del counts[deeper]
        parts, prefix = [], ""
        for part in names.split("."):
            prefix = f"{prefix}.{part}" if prefix else part
            parts.append(f"{part}[{counts[prefix]}]" if prefix in counts else part)
        table = ".".join(parts)
    pair = _PAIR.match(lines[line - 1]) if 0 < line <= len(lines) else None
    if pair is None:
        return table
    return f"{table}.{pair.group(1)}" if table else pair.group(1)


def _loader_problems(raw: bytes, others: Sequence[PolicyVersion], data: Mapping[str, Any]) -> list[Problem]:
    """What the loader and the book refuse that the checks above did not name, and examples that
    would not parse as applications (the API documents them)."""
    try:
        book = PolicyBook([*others, parse_version(raw, "the file")])
    # Whatever the loader raises on this data is its refusal of the file.
    except (LookupError, ValueError, TypeError, AttributeError, ArithmeticError, RecursionError) as exc:
        return [_refusal(str(exc), data)]
    problems = []
    for index, clause in enumerate(data["clauses"]):
        if "example" not in clause:
            continue
        shown = clause["example"]
        sample = example(clause["id"], clause["applicant_kinds"][0], shown["occurred_on"], shown["facts"])
        try:
            book.parse(sample)
        except InvalidApplication as bad:
            problems += [
                Problem(
                    f"clauses[{index}].example.{err.field}",
                    clause["id"],
                    "bad_example",
                    f"the example does not parse: {err.message_en}",
                    f"示例申请无法通过校验：{err.message_zh}",
                )
                for err in bad.errors
            ]
    return problems


def _refusal(message: str, data: Mapping[str, Any]) -> Problem:
    named = _CLAUSE_NAMED.search(message)
    clause = named.group(1) if named else None
    ids = [c.get("id") for c in data.get("clauses", []) if isinstance(c, Mapping)]
    key = f"clauses[{ids.index(clause)}]" if clause in ids else ""
    return Problem(
        key, clause, "refused_by_loader", f"the loader refuses it: {message}", f"加载器拒绝此文件：{message}"
    )


_TYPE_WORDS: dict[type, tuple[str, str]] = {
    str: ("a string", "字符串"),
    bool: ("true or false", "布尔值（true 或 false）"),
    int: ("an integer", "整数"),
    list: ("an array", "数组"),
    dict: ("a table", "表"),
    dt.date: ("a date such as 2025-02-10 (unquoted)", "日期（如 2025-02-10，不加引号）"),
}


def _is(value: object, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is dt.date:
        return isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    return isinstance(value, kind)


def _decimal(value: object) -> Decimal | None:
    """A decimal as the data writes it: a plain decimal string or an integer (a float is never exact)."""
    if _is(value, int):
        return Decimal(str(value))
    if isinstance(value, str) and _PLAIN_DECIMAL.fullmatch(value):
        return Decimal(value)
    return None


class _Checker:
    """Walks one parsed file, collecting problems; each check names the key it reads."""

    def __init__(self, data: Mapping[str, Any]):
        self.data = data
        self.problems: list[Problem] = []
        self.enums: dict[str, list[str]] = {}
        self.clause: str | None = None  # the clause being checked

    def add(self, key: str, code: str, en: str, zh: str) -> None:
        self.problems.append(Problem(key, self.clause, code, en, zh))

    def get(self, table: Mapping[str, Any], name: str, kind: type, path: str, optional: bool = False) -> Any:
        """table[name] if present and of `kind`, else None (and a problem, unless optional and absent)."""
        key = f"{path}.{name}" if path else name
        if name not in table:
            if not optional:
                self.add(key, "missing", f"{name} is required", f"缺少必填项 {name}")
            return None
        value = table[name]
        if not _is(value, kind):
            en, zh = _TYPE_WORDS[kind]
            self.add(key, "wrong_type", f"must be {en}, not {value!r}", f"须为{zh}，实际为 {value!r}")
            return None
        return value

    def choice(self, table: Mapping[str, Any], name: str, allowed: Sequence[str], path: str) -> str | None:
        value: str | None = self.get(table, name, str, path)
        if value is not None and value not in allowed:
            key = f"{path}.{name}" if path else name
            self.add(
                key,
                "unknown_choice",
                f"{value!r} is not one of {', '.join(allowed)}",
                f"{value!r} 不是可选值（{'、'.join(allowed)}）之一",
            )
            return None
        return value

    def money(self, table: Mapping[str, Any], name: str, path: str) -> Decimal | None:
        """An amount of yuan: a plain decimal ≥ 0 with at most two places."""
        value = self.get(table, name, object, path)
        key = f"{path}.{name}"
        if value is None:
            return None
        amount = _decimal(value)
        if amount is None:
            self.add(
                key,
                "not_money",
                f'must be yuan as a plain decimal string such as "500000", not {value!r}',
                f'须为以字符串书写的普通十进制金额（如 "500000"），实际为 {value!r}',
            )
        elif amount < 0:
            self.add(key, "negative_amount", f"must not be negative, got {value}", f"金额不得为负数，实际为 {value}")
        elif amount != amount.quantize(Decimal("0.01")):
            self.add(
                key,
                "money_precision",
                f"has more than two decimal places: {value}",
                f"金额最多保留两位小数，实际为 {value}",
            )
        else:
            return amount
        return None

    # ---- the version as a whole ----

    def version(self) -> None:
        data = self.data
        version_id = self.get(data, "id", str, "")
        if version_id == "":
            self.add("id", "missing", "the version id is empty", "版本编号为空")
        for name in ("title_zh", "title_en", "window_article", "window_wording_zh"):
            self.get(data, name, str, "")
        self.window()
        self.choice(data, "tier_mode", TIER_MODES, "")
        self.choice(data, "double_claim", DOUBLE_CLAIMS, "")
        days = self.get(data, "notice_working_days", int, "")
        if days is not None and days < 0:
            self.add("notice_working_days", "out_of_range", f"must be ≥ 0, got {days}", f"须不小于 0，实际为 {days}")
        self.enum_tables()
        clauses = self.get(data, "clauses", list, "")
        if clauses is not None and not clauses:
            self.add("clauses", "missing", "a version needs at least one clause", "一个版本至少须有一个条款")
        clause_facts: dict[str, dict[str, str]] = {}
        for index, clause in enumerate(clauses or []):
            if not isinstance(clause, Mapping):
                self.add(f"clauses[{index}]", "wrong_type", "must be a table", "须为表")
                continue
            cid = self.get(clause, "id", str, f"clauses[{index}]")
            if cid is not None and cid in clause_facts:
                self.clause = cid
                self.add(
                    f"clauses[{index}].id",
                    "duplicate_clause",
                    f"clause {cid} appears twice in this file",
                    f"条款 {cid} 在本文件中出现两次",
                )
            self.clause = cid
            clause_facts[cid or f"#{index}"] = self.clause_table(clause, f"clauses[{index}]")
            self.clause = None
        self.groups(clause_facts)

    def window(self) -> None:
        first = self.get(self.data, "first_day", dt.date, "")
        last = self.get(self.data, "last_day", dt.date, "")
        if first is not None and last is not None and last < first:
            self.add(
                "last_day",
                "bad_window",
                f"the window ends ({last}) before it starts ({first})",
                f"施行期结束日（{last}）早于起始日（{first}）",
            )

    def enum_tables(self) -> None:
        enums = self.get(self.data, "enums", dict, "", optional=True) or {}
        for name, values in enums.items():
            key = f"enums.{name}"
            if not (isinstance(values, list) and values and all(isinstance(v, str) for v in values)):
                self.add(key, "wrong_type", "must be a non-empty array of strings", "须为非空字符串数组")
            elif len(set(values)) != len(values):
                self.add(key, "duplicate_value", "lists a value twice", "有重复取值")
            else:
                self.enums[name] = values

    def groups(self, clause_facts: Mapping[str, Mapping[str, str]]) -> None:
        for index, group in enumerate(self.get(self.data, "double_claim_groups", list, "", optional=True) or []):
            path = f"double_claim_groups[{index}]"
            members = self.get(group, "clauses", list, path) or []
            key = self.get(group, "key", str, path)
            for member in members:
                if not isinstance(member, str) or member not in clause_facts:
                    self.add(
                        f"{path}.clauses",
                        "unknown_clause",
                        f"names clause {member!r}, not in this file",
                        f"所列条款 {member!r} 不在本文件中",
                    )
                elif key is not None and key not in clause_facts[member]:
                    self.add(
                        f"{path}.key",
                        "undeclared_fact",
                        f"{key!r} is not a fact clause {member} declares",
                        f"{key!r} 不是条款 {member} 声明的事实",
                    )

    # ---- one clause ----

    def clause_table(self, clause: Mapping[str, Any], path: str) -> dict[str, str]:
        """Checks one clause; returns the facts it declares (name -> type)."""
        for name in ("article", "title_zh", "title_en", "summary_zh", "summary_en", "wording_zh"):
            self.get(clause, name, str, path)
        kinds = self.get(clause, "applicant_kinds", list, path)
        if kinds is not None and (not kinds or any(k not in APPLICANT_KINDS for k in kinds)):
            self.add(
                f"{path}.applicant_kinds",
                "unknown_choice",
                f"must name at least one of {', '.join(APPLICANT_KINDS)}",
                f"须为以下申请主体类型中的一个或多个：{'、'.join(APPLICANT_KINDS)}",
            )
        facts = self.facts(clause, path)
        subject = self.get(clause, "subject", str, path)
        if subject is not None and subject != "applicant":
            self.declared(facts, subject, f"{path}.subject")
        self.get(clause, "one_time", bool, path)
        per_year = self.get(clause, "per_year", str, path, optional=True)
        if per_year is not None and per_year != "selection_year":
            self.declared(facts, per_year, f"{path}.per_year")
        for index, cond in enumerate(self.get(clause, "conditions", list, path, optional=True) or []):
            self.condition(cond, facts, f"{path}.conditions[{index}]")
        kind = self.choice(clause, "formula", FORMULAS, path)
        if kind == "selection":
            self.selection(clause, facts, path)
        elif kind is not None:
            self.formula(kind, clause, facts, path)
        example = self.get(clause, "example", dict, path, optional=True)
        if example is not None:
            self.get(example, "occurred_on", dt.date, f"{path}.example")
            self.get(example, "facts", dict, f"{path}.example")
        return facts

    def facts(self, clause: Mapping[str, Any], path: str) -> dict[str, str]:
        declared: dict[str, str] = {}
        for name, type_name in (self.get(clause, "facts", dict, path) or {}).items():
            # Declared even if its type is unknown: one problem, not one per use of the fact.
            declared[name] = type_name if isinstance(type_name, str) else repr(type_name)
            if not _known_type(type_name, self.enums):
                self.add(
                    f"{path}.facts.{name}",
                    "unknown_fact_type",
                    f"fact {name} has unknown type {type_name!r}; known: {', '.join(TYPE_NAMES)} (an enum of [enums])",
                    f"事实 {name} 的类型 {type_name!r} 未知；"
                    f"可用类型：{'、'.join(TYPE_NAMES)}（枚举须在 [enums] 中定义）",
                )
        return declared

    def declared(self, facts: Mapping[str, str], name: object, key: str) -> bool:
        if isinstance(name, str) and name in facts:
            return True
        self.add(
            key, "undeclared_fact", f"{name!r} is not a fact this clause declares", f"{name!r} 不是本条款声明的事实"
        )
        return False

    def condition(self, cond: object, facts: Mapping[str, str], path: str) -> None:
        if not isinstance(cond, Mapping):
            self.add(path, "wrong_type", "must be a table", "须为表")
            return
        fact = self.get(cond, "fact", str, path)
        op = self.choice(cond, "op", tuple(OPERATORS), path)
        self.get(cond, "wording_zh", str, path)
        if "value" not in cond:
            self.add(f"{path}.value", "missing", "value is required", "缺少必填项 value")
            return
        if fact is None or not self.declared(facts, fact, f"{path}.fact") or op is None:
            return
        value = cond["value"]
        if op == "∈" and not isinstance(value, list):
            self.add(f"{path}.value", "wrong_type", "operator ∈ needs an array of values", "运算符 ∈ 须配数组")
            return
        type_name = facts[fact]
        for one in value if isinstance(value, list) else [value]:
            if not _fits(one, type_name, self.enums):
                self.add(
                    f"{path}.value",
                    "wrong_type",
                    f"{one!r} is not a value of {fact}'s type {type_name}",
                    f"{one!r} 不符合事实 {fact} 的类型 {type_name}",
                )

    def formula(self, kind: str, clause: Mapping[str, Any], facts: Mapping[str, str], path: str) -> None:
        if kind == "rate_with_cap":
            base = self.get(clause, "base", str, path)
            if (
                base is not None
                and self.declared(facts, base, f"{path}.base")
                and _known_type(facts[base], self.enums)
                and facts[base] not in ("money", "count")
            ):
                self.add(
                    f"{path}.base",
                    "wrong_type",
                    f"the base {base} must be money or a count",
                    f"计算基数 {base} 须为金额或计数",
                )
            self.rate(clause, path)
            self.money(clause, "cap", path)
        elif kind == "fixed_by_level":
            self.fixed(clause, facts, path)
        elif kind == "tiered_thresholds":
            for name in ("tier_fact", "period_fact"):
                fact = self.get(clause, name, str, path)
                if fact is not None:
                    self.declared(facts, fact, f"{path}.{name}")
            tiers = self.get(clause, "tiers", list, path)
            if tiers is not None and not tiers:
                self.add(f"{path}.tiers", "missing", "needs at least one tier", "至少须有一档")
            thresholds = []
            for index, tier in enumerate(tiers or []):
                tier_path = f"{path}.tiers[{index}]"
                thresholds.append(self.money(tier, "above", tier_path))
                self.money(tier, "amount", tier_path)
                self.get(tier, "wording_zh", str, tier_path)
            known = [t for t in thresholds if t is not None]
            if len(set(known)) != len(known):
                self.add(f"{path}.tiers", "duplicate_value", "two tiers share a threshold", "两档门槛相同")

    def rate(self, clause: Mapping[str, Any], path: str) -> None:
        value = self.get(clause, "rate", str, path)
        rate = _decimal(value)
        if value is None:
            return
        if rate is None:
            self.add(
                f"{path}.rate",
                "wrong_type",
                f'must be a plain decimal string such as "0.20", not {value!r}',
                f'须为以字符串书写的普通小数（如 "0.20"），实际为 {value!r}',
            )
        elif not 0 <= rate <= 1:
            self.add(
                f"{path}.rate",
                "rate_out_of_range",
                f"must be between 0 and 1 (a share, 0.20 = 20%), got {value}",
                f"比例须在 0 到 1 之间（0.20 即 20%），实际为 {value}",
            )

    def fixed(self, clause: Mapping[str, Any], facts: Mapping[str, str], path: str) -> None:
        if "level_fact" not in clause:
            self.money(clause, "amount", path)
            return
        level = self.get(clause, "level_fact", str, path)
        amounts = self.get(clause, "amounts", dict, path) or {}
        for name in amounts:
            self.money(amounts, name, f"{path}.amounts")
        if level is None or not self.declared(facts, level, f"{path}.level_fact"):
            return
        if not _known_type(facts[level], self.enums):
            return  # the type is the problem, said once
        values = self.enums.get(facts[level].removeprefix("enum:")) if facts[level].startswith("enum:") else None
        if values is None:
            self.add(
                f"{path}.level_fact",
                "wrong_type",
                f"the level {level} must be an enum fact",
                f"档次事实 {level} 须为枚举类型",
            )
        elif set(amounts) != set(values):
            self.add(
                f"{path}.amounts",
                "levels_mismatch",
                f"needs one amount for each value of {level} ({', '.join(values)}), has {', '.join(amounts) or 'none'}",
                f"须为 {level} 的每个取值（{'、'.join(values)}）各定一个金额，实际为 {'、'.join(amounts) or '无'}",
            )

    def selection(self, clause: Mapping[str, Any], facts: Mapping[str, str], path: str) -> None:
        inner = self.choice(clause, "if_selected", IF_SELECTED, path)
        if inner not in (None, "none"):
            self.formula(str(inner), clause, facts, path)
        sel_path = f"{path}.selection"
        sel = self.get(clause, "selection", dict, path)
        if sel is None:
            return
        quota = self.get(sel, "quota", int, sel_path)
        if quota is not None and quota < 1:
            self.add(
                f"{sel_path}.quota", "out_of_range", f"must be ≥ 1, got {quota}", f"名额须不少于 1，实际为 {quota}"
            )
        for index, name in enumerate(self.get(sel, "indicators", list, sel_path) or []):
            self.declared(facts, name, f"{sel_path}.indicators[{index}]")
        for index, name in enumerate(self.get(sel, "tie_breaks", list, sel_path) or []):
            if name != "submitted_at":
                self.declared(facts, name, f"{sel_path}.tie_breaks[{index}]")
        self.criteria(self.get(sel, "criteria", list, sel_path) or [], f"{sel_path}.criteria")

    def criteria(self, rows: Sequence[Any], path: str) -> None:
        """The review rubric, as the loader wants it: unique ids, whole-percent weights > 0 summing to 100."""
        if not rows:
            self.add(path, "missing", "a selection needs review criteria", "评选须有评审指标")
        ids, total = [], 0
        for index, row in enumerate(rows):
            row_path = f"{path}[{index}]"
            ids.append(self.get(row, "id", str, row_path))
            self.get(row, "title_zh", str, row_path)
            self.get(row, "title_en", str, row_path)
            weight = self.get(row, "weight", int, row_path)
            if weight is not None and weight <= 0:
                self.add(
                    f"{row_path}.weight",
                    "out_of_range",
                    f"must be a whole percent above 0, got {weight}",
                    f"权重须为大于 0 的整数百分比，实际为 {weight}",
                )
            total += weight or 0
        if len(set(ids)) != len(ids):
            self.add(path, "duplicate_value", "two review criteria share an id", "两项评审指标编号相同")
        if rows and total != 100:
            self.add(path, "weights_sum", f"weights sum to {total}, not 100", f"权重合计为 {total}，须为 100")

    # ---- against the versions already known ----

    def across(self, others: Sequence[PolicyVersion]) -> None:
        data = self.data
        for other in others:
            if other.id == data.get("id"):
                self.add(
                    "id",
                    "version_id_taken",
                    f"version {other.id} already exists with other content: a new version needs a new id",
                    f"版本 {other.id} 已存在且内容不同：新版本须使用新的编号",
                )
            if other.first_day == data.get("first_day"):
                self.add(
                    "first_day",
                    "same_first_day",
                    f"{other.id} starts on the same day ({other.first_day}): "
                    "overlapping versions must start on different days",
                    f"{other.id} 起始日相同（{other.first_day}）：施行期重叠的版本须在不同日期开始",
                )
            for name, values in other.data.get("enums", {}).items():
                if name in self.enums and self.enums[name] != values:
                    self.add(
                        f"enums.{name}",
                        "enum_differs",
                        f"differs from {other.id}'s {values}",
                        f"与 {other.id} 中的定义 {values} 不同",
                    )
        meanings = _meanings(others)
        for index, clause in enumerate(data.get("clauses") or []):
            if isinstance(clause, Mapping) and isinstance(clause.get("id"), str) and clause["id"] in meanings:
                self.clause = clause["id"]
                self.same_meaning(clause, meanings[clause["id"]], f"clauses[{index}]")
                self.clause = None

    def same_meaning(self, clause: Mapping[str, Any], earlier: tuple[str, Mapping[str, Any]], path: str) -> None:
        where, known = earlier
        for name, en, zh in (
            ("article", "article", "所依据的政策条文"),
            ("formula", "kind of formula", "计算方式"),
            ("if_selected", "award if selected", "入选后的奖补方式"),
        ):
            if clause.get(name) != known.get(name):
                self.add(
                    f"{path}.{name}",
                    "clause_meaning_changed",
                    f"clause {clause['id']} has {en} {known.get(name)!r} in {where}, {clause.get(name)!r} here: "
                    "a clause id keeps its meaning; give a new clause a new id",
                    f"条款 {clause['id']} 在 {where} 中的{zh}为 {known.get(name)!r}，此处为 {clause.get(name)!r}："
                    "条款编号的含义不得改变，新条款须使用新编号",
                )
        if isinstance(clause.get("facts"), Mapping) and dict(clause["facts"]) != dict(known["facts"]):
            self.add(
                f"{path}.facts",
                "clause_meaning_changed",
                f"clause {clause['id']} declares other facts than in {where} ({dict(known['facts'])}): "
                "an application for a clause must read the same under every version",
                f"条款 {clause['id']} 声明的事实与 {where} 不同（{dict(known['facts'])}）："
                "同一条款的申请在各版本下须一致",
            )


def _meanings(versions: Sequence[PolicyVersion]) -> dict[str, tuple[str, Mapping[str, Any]]]:
    """Clause id -> (the version that first holds it, its table there)."""
    found: dict[str, tuple[str, Mapping[str, Any]]] = {}
    for version in versions:
        for clause in version.data["clauses"]:
            found.setdefault(clause["id"], (version.id, clause))
    return found


def _known_type(type_name: object, enums: Mapping[str, list[str]]) -> bool:
    try:
        fact_type(type_name, enums)  # type: ignore[arg-type]  # the data may hold anything
    except (KeyError, AttributeError, TypeError):
        return False
    return True


def _fits(value: object, type_name: str, enums: Mapping[str, list[str]]) -> bool:
    """Whether a condition's threshold can be compared with a fact of this type (of a known type)."""
    if not _known_type(type_name, enums):
        return True  # the type is the problem, said once
    if type_name.startswith("enum:"):
        return value in enums.get(type_name[5:], [])
    if type_name == "money":  # the loader makes a Decimal of the threshold
        return _decimal(value) is not None
    if type_name in ("count", "ordinal", "year", "score"):  # compared as written: an integer
        return _is(value, int)
    if type_name == "bool":
        return isinstance(value, bool)
    return isinstance(value, str)
