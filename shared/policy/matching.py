"""Proactive matching (政策找企业): which clauses of the policy an applicant may claim, from whatever
facts are known about it, each clause judged on the facts it declares.

A clause is `eligible` when every fact it needs is known and the decision on them is eligible (or, for
a selection, admits it as a candidate); `not_eligible` when the applicant's kind or a known fact fails
it; otherwise `possibly`: nothing known fails it, but some facts it needs are missing. An amount is
given wherever the known facts determine it. Earlier awards are consulted only where the caller
hands them in (`history`, as a decision's): without them a one-time subject already paid is refused
by the real decision, not here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, create_model, with_config
from typing_extensions import TypedDict

from .applicant import Applicant
from .application import PANEL_FACTS
from .clause import ClauseRule, PolicyDataError
from .decision import EMPTY_HISTORY, History, Reason
from .errors import FieldError, InvalidApplication, field_errors
from .facts import Day, fact_type
from .formulas import Selection
from .money import ZERO

if TYPE_CHECKING:
    from .book import PolicyVersion

MatchStatus = Literal["eligible", "possibly", "not_eligible"]
_RANK: dict[str, int] = {"eligible": 0, "possibly": 1, "not_eligible": 2}


@dataclass(frozen=True, slots=True)
class MatchRequest:
    """Who asks, on which day, knowing which facts (validated: each fact of its declared type)."""

    applicant: Applicant
    as_of: dt.date
    facts: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class Match:
    clause: str
    title_zh: str
    title_en: str
    status: MatchStatus
    amount: Decimal | None  # None: not eligible, or the known facts do not determine it
    missing: tuple[str, ...]  # facts the clause needs that are not known, in the clause's order
    reasons: tuple[Reason, ...]  # why not eligible
    selection: bool  # awarded by an annual selection: `eligible` means admitted as a candidate

    def to_json(self) -> dict[str, Any]:
        return {
            "clause": self.clause,
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "status": self.status,
            "amount": None if self.amount is None else f"{self.amount:.2f}",
            "missing": list(self.missing),
            "reasons": [{"fact": r.fact, "en": r.en, "zh": r.zh} for r in self.reasons],
            "selection": self.selection,
        }


@dataclass(frozen=True, slots=True)
class Matches:
    policy_version: str
    as_of: dt.date
    matches: tuple[Match, ...]  # best first

    def to_json(self) -> dict[str, Any]:
        return {
            "policy_version": self.policy_version,
            "as_of": self.as_of.isoformat(),
            "matches": [m.to_json() for m in self.matches],
        }


class NoPolicyInForce(ValueError):
    """No version of the book is in force on the day asked about."""

    def __init__(self, day: dt.date, windows: list[tuple[str, dt.date, dt.date]]):
        self.day = day
        self.message_en = f"as_of {day} is outside every policy window: " + "; ".join(
            f"{vid} is in force {first} – {last}" for vid, first, last in windows
        )
        self.message_zh = f"as_of {day} 不在政策施行期内：" + "；".join(
            f"{vid} 施行期为 {first} 至 {last}" for vid, first, last in windows
        )
        super().__init__(self.message_en)


def match(
    version: PolicyVersion,
    request: MatchRequest,
    history: History = EMPTY_HISTORY,
    clauses: frozenset[str] | None = None,
) -> Matches:
    """Every clause of `version` (or those of `clauses`) judged on the request's facts, against the
    applicant's earlier grants where given, best first: eligible by amount, then possibly (by amount
    where known), then not eligible, each in the policy's order."""
    found = [
        _match_clause(version.rules[data["id"]], data, request.applicant.kind, request.as_of, request.facts, history)
        for data in version.data["clauses"]
        if clauses is None or data["id"] in clauses
    ]
    ranked = sorted(
        enumerate(found),
        key=lambda item: (_RANK[item[1].status], item[1].amount is None, -(item[1].amount or 0), item[0]),
    )
    return Matches(version.id, request.as_of, tuple(m for _, m in ranked))


def _match_clause(
    rule: ClauseRule,
    data: Mapping[str, Any],
    kind: str,
    as_of: dt.date,
    facts: Mapping[str, object],
    history: History,
) -> Match:
    known = {name: facts[name] for name in rule.facts if name in facts}
    missing = tuple(name for name in rule.facts if name not in known and name not in PANEL_FACTS)

    def found(status: MatchStatus, amount: Decimal | None = None, reasons: tuple[Reason, ...] = ()) -> Match:
        return Match(rule.id, data["title_zh"], data["title_en"], status, amount, missing, reasons, rule.is_selection)

    if not missing:
        # Everything is known: the clause's own decision, exactly as an application would get it.
        complete = {name: known.get(name) for name in rule.facts}  # panel facts not given: None
        decision = rule.decide(kind, as_of, complete, history)
        if decision.outcome == "ineligible":
            return found("not_eligible", reasons=decision.reasons)
        return found("eligible", decision.amount)
    # Refused on what is known, as the decision would refuse it (the kind first, then the conditions).
    reasons = [r for r in [rule.kind_refused(kind)] if r is not None]
    reasons += [r for c in rule.conditions if c.fact in known and (r := c.check(known)) is not None]
    if reasons:
        return found("not_eligible", reasons=tuple(reasons))
    formula = rule.formula.if_selected if isinstance(rule.formula, Selection) else rule.formula
    if formula is None:  # a non-monetary selection: nothing to pay, whatever the facts
        return found("possibly", ZERO)
    if any(name not in known for name in formula.inputs):
        return found("possibly")
    award = formula.award(known, "applicant", [], as_of.year)  # grants (and so their subject) are not needed
    if award.reasons:
        return found("not_eligible", reasons=award.reasons)
    return found("possibly", award.amount)


class MatchParser:
    """The request's wire shape: the applicant, the day, and any facts the policy's clauses declare,
    each of its declared type. A fact name must mean one type across the clauses for this."""

    def __init__(self, clause_facts: Mapping[str, Mapping[str, str]], enums: Mapping[str, list[str]]):
        types: dict[str, str] = {}
        users: dict[str, list[str]] = {}
        for clause, facts in clause_facts.items():
            for name, type_name in facts.items():
                if types.setdefault(name, type_name) != type_name:
                    raise PolicyDataError(
                        f"fact {name!r} is {types[name]!r} in {users[name][0]!r} but {type_name!r} in {clause!r}: "
                        "a fact name must mean one type across the policy's clauses"
                    )
                users.setdefault(name, []).append(clause)
        fields: dict[str, Any] = {}
        for name, type_name in types.items():
            annotation, label = fact_type(type_name, enums)
            fields[name] = Annotated[annotation, Field(description=f"{label}; a fact of {', '.join(users[name])}")]
        known = _known_facts(fields)
        self.model: type[BaseModel] = create_model(
            "MatchRequest",
            __config__=ConfigDict(extra="forbid", frozen=True),
            applicant=(Applicant, ...),
            as_of=(Day, Field(description="the day the policy is asked about: the version in force on it applies")),
            facts=(
                known,
                Field(
                    default_factory=dict,
                    description="whatever is known about the applicant, across clauses: each fact named as "
                    "the clauses name it (GET /v1/clauses), of its declared type",
                ),
            ),
        )
        self.adapter: TypeAdapter[BaseModel] = TypeAdapter(self.model)

    def parse(self, obj: object) -> MatchRequest:
        """A validated request, or InvalidApplication naming every field that is wrong."""
        try:
            parsed = self.adapter.validate_python(obj)
        except ValidationError as exc:
            raise InvalidApplication([_reworded(e) for e in field_errors(exc.errors(include_url=False))]) from None
        fields = parsed.__dict__
        return MatchRequest(fields["applicant"], fields["as_of"], dict(fields["facts"]))


def _known_facts(fields: dict[str, Any]) -> Any:
    """A TypedDict of every fact, none required, no other allowed: it keeps only the facts sent. Built
    at run time from the policy data, hence Any to the checker."""
    typed_dict: Any = TypedDict
    return with_config(ConfigDict(extra="forbid"))(typed_dict("KnownFacts", fields, total=False))


def _reworded(error: FieldError) -> FieldError:
    """An unknown fact is one no clause declares (not "this clause": the request names none)."""
    if error.code != "unknown_field" or not error.field.startswith("facts."):
        return error
    return FieldError(
        error.field,
        error.code,
        f"{error.field}: unknown fact: no clause of the policy declares it",
        f"{error.field}：政策各条款均未声明该事实",
    )
