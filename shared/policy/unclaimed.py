"""What an earlier applicant could claim under a policy version and has not (免申即享): its stored
applications merged into what is known of it, and each clause of the version it never applied
under, nor was granted under, matched on those facts (`matching.py`) against its earlier grants.

Finding a match awards nothing: the policy requires an application, so a match is only told, with
how to claim. Only `eligible` matches are told by default: every fact the clause needs is known
and the clause's own decision on them is eligible (for a selection: admitted as a candidate).
A `possibly` (facts missing) is not told: the applicant would be asked for facts we cannot know
it has. Pure: the caller reads the applications and grants, and records what it tells.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from .applicant import Applicant, ApplicantKind
from .book import PolicyVersion
from .decision import History, PriorGrant
from .matching import Match, MatchRequest, MatchStatus, match

# Where a claim is made: intake's route for applications (the clause goes in its body).
CLAIM_ROUTE = "POST /v1/applications"
TOLD: frozenset[MatchStatus] = frozenset({"eligible"})
_DECIMAL = frozenset({"money", "score"})  # fact types kept as decimal strings


@dataclass(frozen=True, slots=True)
class Kept:
    """One application as eligibility kept it with its decision (`decisions.application`)."""

    clause: str
    applicant: Mapping[str, Any]  # credit_code, name, kind
    facts: Mapping[str, Any]  # as parsed, then written as JSON: identifiers normalised, money as strings


@dataclass(frozen=True, slots=True)
class Known:
    """What is known of one applicant from its applications."""

    credit_code: str
    name: str  # as its latest application gave it
    kind: str  # likewise
    facts: Mapping[str, Any]  # each fact's latest value, as kept (JSON)
    claimed: frozenset[str]  # the clauses it applied under


def known(kept: Iterable[Kept]) -> Known:
    """The applicant's applications, in the order they were decided, merged: for each fact name
    the value its latest application gave (a null, a fact the panel had not filled, says nothing),
    its name and kind as the latest gave them, and every clause it applied under."""
    applications = list(kept)
    if not applications:
        raise ValueError("an applicant is known from one application at least")
    facts: dict[str, Any] = {}
    for application in applications:
        facts |= {name: value for name, value in application.facts.items() if value is not None}
    latest = applications[-1].applicant
    return Known(
        str(latest["credit_code"]),
        str(latest["name"]),
        str(latest["kind"]),
        facts,
        frozenset(a.clause for a in applications),
    )


def as_of(version: PolicyVersion, today: dt.date) -> dt.date:
    """The day the version is asked about: today, within its window (its first day if it starts
    later, its last if it has ended)."""
    return min(max(today, version.first_day), version.last_day)


def unclaimed(
    version: PolicyVersion,
    applicant: Known,
    day: dt.date,
    granted: Iterable[PriorGrant] = (),
    told: frozenset[MatchStatus] = TOLD,
) -> list[Match]:
    """The clauses of `version` the applicant neither applied nor was granted under whose match on
    its known facts, on `day`, against its grants, is one of `told`; best first."""
    grants = tuple(granted)
    open_clauses = frozenset(version.rules) - applicant.claimed - {g.clause for g in grants}
    if not open_clauses:
        return []
    facts = _typed(version, applicant.facts)
    # Validated when its applications were: matching reads only its kind.
    kind = cast(ApplicantKind, applicant.kind)
    who = Applicant.model_construct(credit_code=applicant.credit_code, name=applicant.name, kind=kind)
    found = match(version, MatchRequest(who, day, facts), History(grants), open_clauses)
    return [m for m in found.matches if m.status in told]


def _typed(version: PolicyVersion, kept: Mapping[str, Any]) -> dict[str, object]:
    """The kept facts the version's clauses declare, decoded by their declared types (they were
    validated when their application was decided; money and scores travel as strings). A value
    that no longer decodes is left out, as unknown."""
    types = {name: kind for rule in version.rules.values() for name, kind in rule.facts.items()}
    facts: dict[str, object] = {}
    for name, value in kept.items():
        kind = types.get(name)
        if kind is None:
            continue
        if kind in _DECIMAL:
            try:
                facts[name] = Decimal(str(value))
            except (InvalidOperation, ValueError):
                continue
        else:
            facts[name] = value
    return facts
