"""What if a draft policy had been in force: the stored applications decided again under it, and
what would have changed.

The replay is pure: it reads nothing, stores nothing and tells nobody. It takes the stored
decisions in the order they were taken, and decides each replayable one again under the draft
version *as if that version had been in force on the application's own date* (its occurred_on):
the draft's own window (first_day … last_day) is ignored here, since the question is what the
draft would have done to these applications, whenever it will come into force.

History is applied as real decisions apply it, in order: one-time subjects, once-a-year rules,
revenue tiers paid once and double-claim groups all look at a history of the replay's own, kept
in memory and fed by the replay's own grants, never by the grants the real decisions made. Two
kinds of entry feed it otherwise:

* `Recorded`: the grants of a decision outside the replayed window, which stand as they were (the
  draft would not have decided it), at its place in the order;
* a stored decision that cannot be replayed (taken before its application was kept) is `skipped`
  and counted as such; its recorded grants stand too.

Money counts what would be paid: an eligible decision's amount, and a candidate's only where the
panel selected it (a candidate without recorded grants was not selected; the replay assumes the
panel would choose the same candidates again, and records a selected candidate's grants at its
decision's place). Every sum is a Decimal, written as a decimal string.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .book import PolicyVersion
from .decision import History, HistoryScope, Outcome, PriorGrant
from .money import ZERO

TOP_APPLICANTS = 20


@dataclass(frozen=True, slots=True)
class StoredApplication:
    """One stored decision (the baseline) and, where it was kept, the application it decided."""

    credit_code: str
    clause: str
    year: int  # the budget year its award is charged to (the year, Beijing time, it was decided)
    outcome: Outcome  # the baseline decision's
    amount: Decimal  # the baseline decision's (for a candidate: what it receives if selected)
    # What the grants ledger records for it: its award, or what a selection gave it.
    grants: tuple[PriorGrant, ...] = ()
    name: str = ""  # the applicant's name as the application gave it
    kind: str = ""  # the applicant's kind
    occurred_on: dt.date | None = None  # the date the policy in force is taken on
    facts: Mapping[str, object] | None = None  # as parsed; None: not kept, so not replayable

    @property
    def selected(self) -> bool:
        """A candidate the panel selected (its selection's grants are recorded)."""
        return self.outcome == "candidate" and bool(self.grants)


@dataclass(frozen=True, slots=True)
class Recorded:
    """Grants that stand as they were: a decision outside the replayed window, at its place."""

    credit_code: str
    grants: tuple[PriorGrant, ...]


@dataclass(slots=True)
class Tally:
    """Counts and sums over a set of replayed applications."""

    applications: int = 0  # replayed and compared
    skipped: int = 0  # stored without their application: not replayed
    changed: int = 0  # outcome or amount paid differs
    gained: int = 0  # would be paid more under the draft
    lost: int = 0  # would be paid less
    newly_eligible: int = 0  # ineligible, eligible (or a candidate) under the draft
    no_longer_eligible: int = 0  # the other way
    baseline: Decimal = ZERO  # paid as decided
    draft: Decimal = ZERO  # paid under the draft

    @property
    def delta(self) -> Decimal:
        return self.draft - self.baseline

    def add(self, other: "Tally") -> None:
        self.applications += other.applications
        self.skipped += other.skipped
        self.changed += other.changed
        self.gained += other.gained
        self.lost += other.lost
        self.newly_eligible += other.newly_eligible
        self.no_longer_eligible += other.no_longer_eligible
        self.baseline += other.baseline
        self.draft += other.draft

    def to_json(self) -> dict[str, Any]:
        return {
            "applications": self.applications,
            "skipped": self.skipped,
            "changed": self.changed,
            "gained": self.gained,
            "lost": self.lost,
            "newly_eligible": self.newly_eligible,
            "no_longer_eligible": self.no_longer_eligible,
            "total": {"baseline": _money(self.baseline), "draft": _money(self.draft), "delta": _money(self.delta)},
        }


@dataclass(frozen=True, slots=True)
class ApplicantChange:
    credit_code: str
    name: str
    baseline: Decimal
    draft: Decimal

    @property
    def delta(self) -> Decimal:
        return self.draft - self.baseline

    def to_json(self) -> dict[str, str]:
        return {
            "credit_code": self.credit_code,
            "name": self.name,
            "baseline": _money(self.baseline),
            "draft": _money(self.draft),
            "delta": _money(self.delta),
        }


@dataclass(frozen=True)
class Report:
    """What the draft would have changed, overall, by clause, by budget year and for whom most."""

    total: Tally
    clauses: dict[str, Tally]
    years: dict[int, Tally]
    lines: dict[tuple[int, str], Tally]  # by budget line (year, clause): what a budget is compared with
    applicants: list[ApplicantChange] = field(default_factory=list)  # the largest changes, by |delta|

    def to_json(self) -> dict[str, Any]:
        return self.total.to_json() | {
            "clauses": {clause: tally.to_json() for clause, tally in sorted(self.clauses.items())},
            "years": {str(year): tally.to_json() for year, tally in sorted(self.years.items())},
            "applicants": [a.to_json() for a in self.applicants],
        }


def replay(entries: Iterable[StoredApplication | Recorded], draft: PolicyVersion) -> Report:
    """Every stored application decided again under `draft` (as if in force on its date, whatever
    the draft's window), in the order given, which must be the order the decisions were taken in."""
    history = _ReplayHistory()
    lines: dict[tuple[int, str], Tally] = {}
    paid: dict[str, list[Decimal]] = {}  # credit code -> [baseline, draft]
    names: dict[str, str] = {}
    rules = draft.rules
    for entry in entries:
        if isinstance(entry, Recorded):
            history.record(entry.credit_code, entry.grants)
            continue
        code = entry.credit_code
        line = lines.get((entry.year, entry.clause))
        if line is None:
            line = lines[(entry.year, entry.clause)] = Tally()
        facts, day = entry.facts, entry.occurred_on
        if facts is None or day is None:
            line.skipped += 1
            history.record(code, entry.grants)
            continue
        was = entry.outcome
        selected = was == "candidate" and bool(entry.grants)  # assumed selected again if still a candidate
        rule = rules.get(entry.clause)
        if rule is None:  # the draft drops the clause
            outcome: Outcome = "ineligible"
            amount = ZERO
        else:
            # An applicant without grants so far has no history to gather.
            past = history.of(code, rule.history_scope(facts, day)) if code in history.holders else _EMPTY
            decision = rule.decide(entry.kind, day, facts, past)
            outcome, amount = decision.outcome, decision.amount
            if decision.grants and (outcome == "eligible" or (selected and outcome == "candidate")):
                history.record(
                    code, [PriorGrant(decision.clause, g.subject_key, g.amount, g.project_id) for g in decision.grants]
                )
        before = entry.amount if was == "eligible" or selected else ZERO
        after = amount if outcome == "eligible" or (selected and outcome == "candidate") else ZERO
        line.applications += 1
        if before or after:
            line.baseline += before
            line.draft += after
            sums = paid.get(code)
            if sums is None:
                sums = paid[code] = [ZERO, ZERO]
            sums[0] += before
            sums[1] += after
            if entry.name:
                names[code] = entry.name
        if outcome != was or after != before:
            line.changed += 1
            if after > before:
                line.gained += 1
            elif after < before:
                line.lost += 1
            if was == "ineligible":
                line.newly_eligible += 1
            elif outcome == "ineligible":
                line.no_longer_eligible += 1
    return _report(lines, paid, names)


def _report(lines: dict[tuple[int, str], Tally], paid: dict[str, list[Decimal]], names: dict[str, str]) -> Report:
    total, clauses, years = Tally(), dict[str, Tally](), dict[int, Tally]()
    for (year, clause), line in lines.items():
        total.add(line)
        clauses.setdefault(clause, Tally()).add(line)
        years.setdefault(year, Tally()).add(line)
    changes = [ApplicantChange(code, names.get(code, ""), b, d) for code, (b, d) in paid.items() if b != d]
    changes.sort(key=lambda c: (-abs(c.delta), c.credit_code))
    return Report(total, clauses, years, lines, changes[:TOP_APPLICANTS])


class _ReplayHistory:
    """The replay's grants, per applicant, by subject and by project: what `History` is built from,
    as eligibility builds it from its grants table."""

    def __init__(self) -> None:
        self._by_subject: dict[tuple[str, str], list[PriorGrant]] = {}
        self._by_project: dict[tuple[str, str], list[PriorGrant]] = {}
        self.holders: set[str] = set()  # the applicants granted anything so far

    def record(self, credit_code: str, grants: Iterable[PriorGrant]) -> None:
        for g in grants:
            self.holders.add(credit_code)
            self._by_subject.setdefault((credit_code, g.subject_key), []).append(g)
            if g.project_id is not None:
                self._by_project.setdefault((credit_code, g.project_id), []).append(g)

    def of(self, credit_code: str, scope: HistoryScope) -> History:
        found: dict[tuple[str, str], PriorGrant] = {}
        by_subject = self._by_subject
        for key in scope.subject_keys:
            for g in by_subject.get((credit_code, key), ()):
                found[(g.clause, g.subject_key)] = g
        if scope.project_id is not None:
            for g in self._by_project.get((credit_code, scope.project_id), ()):
                if g.clause in scope.project_clauses:
                    found[(g.clause, g.subject_key)] = g
        # Who else claimed a subject only adds a step for reviewers: it changes no outcome or amount.
        return History(tuple(found.values())) if found else _EMPTY


_EMPTY = History()


def _money(value: Decimal) -> str:
    return f"{value:.2f}"
