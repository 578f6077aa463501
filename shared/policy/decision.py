"""What a decision says, and the applicant's history the caller hands in to take it."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

Outcome = Literal["eligible", "ineligible", "candidate"]


@dataclass(frozen=True, slots=True)
class Reason:
    """Why an application fails, in both languages; `fact` is the fact (or rule) concerned, and
    `code` names the rule for programs where one is named (`subject_already_awarded`, …)."""

    fact: str
    en: str
    zh: str
    code: str = ""


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the reasoning, in English (`step`) and Chinese (`zh`), with the article of the
    policy it applies; `flag` marks a step reviewers should look at (`subject_claimed_by_other_applicant`, …)."""

    step: str
    zh: str
    article: str
    flag: str | None = None

    @property
    def en(self) -> str:
        return self.step

    def to_json(self) -> dict[str, str]:
        # `step` stays the English text: readers older than `en` and `zh` (and notify's
        # calculation parser) read it.
        shown = {"step": self.step, "article": self.article, "en": self.step, "zh": self.zh}
        return shown | ({"flag": self.flag} if self.flag else {})


@dataclass(frozen=True, slots=True)
class Grant:
    """An award this decision makes on one subject; record it as a PriorGrant once paid (or selected)."""

    subject_key: str
    amount: Decimal
    cap: Decimal  # the most its rule pays for this subject: what the grants ledger holds it to
    project_id: str | None = None


@dataclass(frozen=True, slots=True)
class PriorGrant:
    """An award the applicant already received, as recorded by the caller (with the application
    and the day it was granted, where known, so that a refusal can cite them)."""

    clause: str
    subject_key: str
    amount: Decimal
    project_id: str | None = None
    application_id: str | None = None
    granted_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class History:
    """The applicant's prior grants: all the engine needs to enforce one-time and per-year rules;
    and, of the subjects in scope, those another applicant was granted under the same clause."""

    grants: tuple[PriorGrant, ...] = ()
    claimed_by_others: frozenset[str] = frozenset()

    def of_clause(self, clause: str) -> list[PriorGrant]:
        return [g for g in self.grants if g.clause == clause]

    def plus(self, decision: "Decision") -> "History":
        """This history with the decision's grants recorded (what the caller does once awarded)."""
        new = tuple(PriorGrant(decision.clause, g.subject_key, g.amount, g.project_id) for g in decision.grants)
        return History(self.grants + new)


EMPTY_HISTORY = History()


@dataclass(frozen=True, slots=True)
class HistoryScope:
    """Which of the applicant's earlier grants a decision can depend on. The caller reads these,
    and only these, into the History it hands in, so that a decision costs the same however
    long the applicant's past."""

    subject_keys: frozenset[str]  # grants on these subjects, under any clause
    project_id: str | None = None  # and grants on this project …
    project_clauses: frozenset[str] = frozenset()  # … under these clauses (a double-claim group)
    # The (clause, subject key) another applicant might also have been granted: a node, a project,
    # a chain… (None where the subject is the applicant itself).
    shared_subject: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """The engine's answer for one application.

    For a `candidate` (admitted to a selection), `amount` and `grants` are what it receives if the
    panel selects it: record the grants only then.
    """

    clause: str
    outcome: Outcome
    amount: Decimal
    reasons: tuple[Reason, ...]
    trace: tuple[Step, ...]
    grants: tuple[Grant, ...]
    policy_version: str | None
    policy_hash: str | None
    year: int | None = None
    occurred_on: dt.date | None = field(default=None)

    def to_json(self) -> dict[str, Any]:
        """The decision as a JSON document (callers add to it and read it back as JSON)."""
        return {
            "clause": self.clause,
            "outcome": self.outcome,
            "amount": f"{self.amount:.2f}",
            "reasons": [
                {"fact": r.fact, "en": r.en, "zh": r.zh} | ({"code": r.code} if r.code else {}) for r in self.reasons
            ],
            "trace": [s.to_json() for s in self.trace],
            "grants": [
                {
                    "subject_key": g.subject_key,
                    "amount": f"{g.amount:.2f}",
                    "cap": f"{g.cap:.2f}",
                    "project_id": g.project_id,
                }
                for g in self.grants
            ],
            "policy_version": self.policy_version,
            "policy_hash": self.policy_hash,
            "year": self.year,
            "occurred_on": self.occurred_on.isoformat() if self.occurred_on else None,
        }
