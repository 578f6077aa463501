"""What a batch of decisions can depend on, read in two indexed queries and held in memory.

Each decision gathers its history in time proportional to its scope, not to the applicant's
past; decisions later in the batch see the grants made earlier in it, as they would had those
been read from the table.
"""

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import ARRAY, Text, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility.tables import grants
from shared.policy import History, HistoryScope, PriorGrant

# An applicant's grants by subject (under any clause) and by project (under a double-claim group).
_GRANTS = text(f"""
    SELECT g.credit_code, g.clause, g.subject_key, g.amount, g.project_id, g.application_id, g.granted_at
      FROM unnest(:codes, :subjects) AS wanted(credit_code, subject_key)
      JOIN {grants.fullname} g USING (credit_code, subject_key)
    UNION
    SELECT g.credit_code, g.clause, g.subject_key, g.amount, g.project_id, g.application_id, g.granted_at
      FROM unnest(:project_codes, :projects) AS wanted(credit_code, project_id)
      JOIN {grants.fullname} g USING (credit_code, project_id)
""").bindparams(*(bindparam(n, type_=ARRAY(Text)) for n in ("codes", "subjects", "project_codes", "projects")))

# Who else was granted each (clause, subject) a decision claims.
_CLAIMANTS = text(f"""
    SELECT g.clause, g.subject_key, g.credit_code, g.application_id
      FROM unnest(:clauses, :subjects) AS wanted(clause, subject_key)
      JOIN {grants.fullname} g USING (subject_key, clause)
""").bindparams(*(bindparam(n, type_=ARRAY(Text)) for n in ("clauses", "subjects")))


@dataclass(frozen=True, order=True)
class Claimant:
    credit_code: str
    application_id: str


class Past:
    def __init__(self) -> None:
        self._by_subject: dict[tuple[str, str], list[PriorGrant]] = defaultdict(list)
        self._by_project: dict[tuple[str, str], list[PriorGrant]] = defaultdict(list)
        self._claimants: dict[tuple[str, str], set[Claimant]] = defaultdict(set)

    @classmethod
    async def read(cls, session: AsyncSession, scopes: list[tuple[str, HistoryScope]]) -> "Past":
        by_subject = {(code, key) for code, scope in scopes for key in scope.subject_keys}
        by_project = {(code, scope.project_id) for code, scope in scopes if scope.project_id is not None}
        shared = {scope.shared_subject for _, scope in scopes if scope.shared_subject}
        past = cls()
        for r in await session.execute(
            _GRANTS,
            {
                "codes": [c for c, _ in by_subject],
                "subjects": [k for _, k in by_subject],
                "project_codes": [c for c, _ in by_project],
                "projects": [p for _, p in by_project],
            },
        ):
            past.add(
                r.credit_code,
                PriorGrant(r.clause, r.subject_key, r.amount, r.project_id, str(r.application_id), r.granted_at.date()),
            )
        if shared:
            for r in await session.execute(
                _CLAIMANTS, {"clauses": [c for c, _ in shared], "subjects": [k for _, k in shared]}
            ):
                past._claimants[(r.clause, r.subject_key)].add(Claimant(r.credit_code, str(r.application_id)))
        return past

    def add(self, credit_code: str, grant: PriorGrant) -> None:
        self._by_subject[(credit_code, grant.subject_key)].append(grant)
        if grant.project_id is not None:
            self._by_project[(credit_code, grant.project_id)].append(grant)
        self._claimants[(grant.clause, grant.subject_key)].add(Claimant(credit_code, str(grant.application_id)))

    def history(self, credit_code: str, scope: HistoryScope) -> History:
        found = {
            (g.clause, g.subject_key): g
            for key in scope.subject_keys
            for g in self._by_subject.get((credit_code, key), ())
        }
        if scope.project_id is not None:
            found |= {
                (g.clause, g.subject_key): g
                for g in self._by_project.get((credit_code, scope.project_id), ())
                if g.clause in scope.project_clauses
            }
        shared = scope.shared_subject
        others = frozenset({shared[1]} if shared is not None and self.others(credit_code, scope) else ())
        return History(tuple(found.values()), others)

    def others(self, credit_code: str, scope: HistoryScope) -> list[Claimant]:
        """The other applicants granted the subject this decision claims: for reviewers only."""
        if scope.shared_subject is None:
            return []
        return sorted(c for c in self._claimants.get(scope.shared_subject, ()) if c.credit_code != credit_code)
