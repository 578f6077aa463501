"""Decides each submitted application under the policy in force on its date, against the
applicant's grants so far, and publishes what follows: the decision, and an award or a candidacy.

Applications are decided a batch at a time: the history every decision of the batch can depend on
is read in one indexed query (only the grants in each decision's scope, so a decision costs the
same however long the applicant's past), the decisions are taken in order in memory, each seeing
the grants made before it in the batch, and their rows are written in bulk.
"""

import logging
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import ARRAY, Text, bindparam, insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility.tables import decisions, grants
from shared.events import (ApplicationSubmittedV1, AwardGrantedV1, CandidateAdmittedV1,
                           DecisionMadeV1, GrantLine, RecognitionGrantedV1)
from shared.messaging.consumer import Batched
from shared.messaging.envelope import Envelope
from shared.policy import History, HistoryScope, PolicyBook, PriorGrant
from shared.service import Runtime

log = logging.getLogger(__name__)

# The grants in the scopes of a batch's decisions: by (applicant, subject) under any clause, and by
# (applicant, project) under the clauses of a double-claim group. Each pair is a primary-key or
# index lookup.
_HISTORY = text(f"""
    SELECT g.credit_code, g.clause, g.subject_key, g.amount, g.project_id
      FROM unnest(:codes, :subjects) AS wanted(credit_code, subject_key)
      JOIN {grants.fullname} g USING (credit_code, subject_key)
    UNION
    SELECT g.credit_code, g.clause, g.subject_key, g.amount, g.project_id
      FROM unnest(:project_codes, :projects) AS wanted(credit_code, project_id)
      JOIN {grants.fullname} g USING (credit_code, project_id)
""").bindparams(*(bindparam(name, type_=ARRAY(Text)) for name in ("codes", "subjects", "project_codes", "projects")))


class Past:
    """The grants in the scopes of a batch's decisions, indexed so that each decision gathers its
    own history in time proportional to its scope, not to the applicant's past."""

    def __init__(self) -> None:
        self._by_subject: dict[tuple[str, str], list[PriorGrant]] = defaultdict(list)
        self._by_project: dict[tuple[str, str], list[PriorGrant]] = defaultdict(list)

    @classmethod
    async def read(cls, session: AsyncSession, scopes: list[tuple[str, HistoryScope]]) -> "Past":
        by_subject = {(code, key) for code, scope in scopes for key in scope.subject_keys}
        by_project = {(code, scope.project_id) for code, scope in scopes if scope.project_id is not None}
        rows = (await session.execute(_HISTORY, {
            "codes": [c for c, _ in by_subject], "subjects": [k for _, k in by_subject],
            "project_codes": [c for c, _ in by_project], "projects": [p for _, p in by_project]})).all()
        past = cls()
        for r in rows:
            past.add(r.credit_code, PriorGrant(r.clause, r.subject_key, r.amount, r.project_id))
        return past

    def add(self, credit_code: str, grant: PriorGrant) -> None:
        self._by_subject[(credit_code, grant.subject_key)].append(grant)
        if grant.project_id is not None:
            self._by_project[(credit_code, grant.project_id)].append(grant)

    def history(self, credit_code: str, scope: HistoryScope) -> History:
        found = {(g.clause, g.subject_key): g for key in scope.subject_keys
                 for g in self._by_subject.get((credit_code, key), ())}
        if scope.project_id is not None:
            found |= {(g.clause, g.subject_key): g for g in self._by_project.get((credit_code, scope.project_id), ())
                      if g.clause in scope.project_clauses}
        return History(tuple(found.values()))


def handlers(runtime: Runtime, book: PolicyBook):
    async def applications_submitted(session: AsyncSession, batch: list[tuple[Envelope, ApplicationSubmittedV1]]) -> None:
        parsed = [(event, p, a, book.history_scope(a)) for event, p in batch for a in [book.parse(p.application)]]
        past = await Past.read(session, [(a.applicant.credit_code, scope) for _, _, a, scope in parsed])
        now = datetime.now(UTC)
        decision_rows, grant_rows, events, outcomes = [], [], [], Counter()
        for event, p, application, scope in parsed:
            credit_code = application.applicant.credit_code
            decision = book.evaluate(application, past.history(credit_code, scope))
            body = decision.to_json()
            decision_id = uuid.uuid5(p.application_id, "decision")
            decision_rows.append({"id": decision_id, "application_id": p.application_id, "credit_code": credit_code,
                                  "clause": decision.clause, "outcome": decision.outcome, "amount": decision.amount,
                                  "body": body})
            events.append(runtime.event(DecisionMadeV1(
                decision_id=decision_id, application_id=p.application_id, credit_code=credit_code,
                clause=decision.clause, outcome=decision.outcome, amount=decision.amount,
                reasons=body["reasons"], trace=body["trace"], policy_version=decision.policy_version or "",
                policy_hash=decision.policy_hash or "", decided_at=now),
                key=credit_code, subject=str(p.application_id), cause=event))
            if decision.outcome == "eligible" and decision.grants:
                for g in decision.grants:
                    grant_rows.append({"credit_code": credit_code, "subject_key": g.subject_key,
                                       "clause": decision.clause, "amount": g.amount, "cap": g.cap,
                                       "project_id": g.project_id, "application_id": p.application_id})
                    # Later decisions of this batch see it, as they would had it been read.
                    past.add(credit_code, PriorGrant(decision.clause, g.subject_key, g.amount, g.project_id))
                events.append(runtime.event(AwardGrantedV1(
                    award_id=uuid.uuid5(p.application_id, "award"), application_id=p.application_id,
                    credit_code=credit_code, clause=decision.clause, amount=decision.amount,
                    grants=[GrantLine(subject_key=g.subject_key, amount=g.amount, project_id=g.project_id)
                            for g in decision.grants], granted_at=now),
                    key=credit_code, subject=str(p.application_id), cause=event))
            elif decision.outcome == "candidate":
                events.append(runtime.event(CandidateAdmittedV1(
                    application_id=p.application_id, credit_code=credit_code, clause=decision.clause,
                    year=decision.year, amount=decision.amount, indicators=_indicators(application),
                    submitted_at=p.submitted_at), key=f"{decision.clause}:{decision.year}",
                    subject=str(p.application_id), cause=event))
            outcomes[decision.outcome] += 1
            log.debug("decided %s under %s: %s %s (%s)", p.application_id, decision.clause, decision.outcome,
                      f"{decision.amount:.2f}", decision.policy_version)
        await session.execute(insert(decisions), decision_rows)
        if grant_rows:
            # A grant conflicting with one recorded meanwhile (a selection's award) fails the batch;
            # decided again, the claim then sees that grant and is refused for it.
            await session.execute(insert(grants), grant_rows)
        await runtime.publish(session, *events)
        log.info("decided %d application(s): %s", len(parsed), ", ".join(f"{n} {o}" for o, n in outcomes.items()))

    async def selected(session: AsyncSession, event: Envelope, p: AwardGrantedV1 | RecognitionGrantedV1) -> None:
        """What a selection gives (money or recognition) counts toward one-time rules too; this
        service's own awards were recorded with their decisions."""
        if event.source == f"/subsidy/{runtime.name}":
            return
        await session.execute(insert(grants), [
            {"credit_code": p.credit_code, "subject_key": g.subject_key, "clause": p.clause, "amount": g.amount,
             "cap": g.amount, "project_id": g.project_id, "application_id": p.application_id} for g in p.grants])

    return ({ApplicationSubmittedV1: Batched(applications_submitted)},
            {AwardGrantedV1: selected, RecognitionGrantedV1: selected})


def _indicators(application) -> dict[str, str]:
    """The applicant's own figures a round may break ties on."""
    return {k: str(v) for k, v in application.facts.__dict__.items()
            if isinstance(v, int | Decimal) and not isinstance(v, bool)}
