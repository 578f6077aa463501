"""Decides each submitted application under the policy in force on its date, against the
applicant's grants so far, and publishes what follows: the decision, and an award or a candidacy.

Applications are decided a batch at a time: the history every decision of the batch can depend on
is read in one indexed query (only the grants in each decision's scope, so a decision costs the
same however long the applicant's past), the decisions are taken in order in memory, each seeing
the grants made before it in the batch, and their rows are written in bulk.
"""

import logging
import uuid
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility.history import Past
from services.eligibility.tables import decisions, grants
from shared.bootstrap import Wiring
from shared.bulk import insert_rows
from shared.events import (
    ApplicationSubmittedV1,
    AwardGrantedV1,
    CandidateAdmittedV2,
    CandidateGrant,
    DecisionMadeV1,
    GrantLine,
    RecognitionGrantedV1,
)
from shared.messaging.consumer import Batched
from shared.messaging.envelope import Envelope
from shared.observability import count_decisions
from shared.policy import Decision, PolicyBook, PriorGrant
from shared.policy.application import ApplicationBase
from shared.policy_versions import PublishedVersions

log = logging.getLogger(__name__)


def handlers(wiring: Wiring, published: PublishedVersions):
    publisher = wiring.publisher

    async def applications_submitted(
        session: AsyncSession, batch: list[tuple[Envelope, ApplicationSubmittedV1]]
    ) -> None:
        # A version approved elsewhere (another pod, `subsidy policy approve`) may have reached the
        # portals before this process's follower saw it: an application that follows its
        # publication is decided under it. One small query per batch.
        await published.catch_up(session)
        book = wiring.policy.book  # one book for the whole batch
        parsed = [(event, p, a, book.history_scope(a)) for event, p in batch for a in [book.parse(p.application)]]
        past = await Past.read(session, [(a.applicant.credit_code, scope) for _, _, a, scope in parsed])
        now = wiring.clock.now()
        decision_rows: list[dict[str, Any]] = []  # column values, as inserted
        grant_rows: list[dict[str, Any]] = []
        events: list[Envelope] = []
        outcomes: Counter[str] = Counter()
        for event, p, application, scope in parsed:
            credit_code = application.applicant.credit_code
            decision = book.evaluate(application, past.history(credit_code, scope))
            body = decision.to_json()
            if others := past.others(credit_code, scope):  # who, for reviewers; never published
                body["claimed_by_others"] = [
                    {"credit_code": o.credit_code, "application_id": o.application_id} for o in others
                ]
            decision_id = uuid.uuid5(p.application_id, "decision")
            decision_rows.append(
                {
                    "id": decision_id,
                    "application_id": p.application_id,
                    "credit_code": credit_code,
                    "clause": decision.clause,
                    "outcome": decision.outcome,
                    "amount": decision.amount,
                    "body": body,
                    "application": replayable(application, p.submitted_at),
                    # Kept to tell the applicant, through its partner, of clauses it could claim.
                    "partner_id": p.partner_id,
                    "contact": application.contact.model_dump(mode="json") if application.contact else None,
                }
            )
            events.append(
                publisher.event(
                    DecisionMadeV1(
                        decision_id=decision_id,
                        application_id=p.application_id,
                        credit_code=credit_code,
                        clause=decision.clause,
                        outcome=decision.outcome,
                        amount=decision.amount,
                        reasons=body["reasons"],
                        trace=body["trace"],
                        policy_version=decision.policy_version or "",
                        policy_hash=decision.policy_hash or "",
                        decided_at=now,
                    ),
                    key=credit_code,
                    subject=str(p.application_id),
                    cause=event,
                )
            )
            if decision.outcome == "eligible" and decision.grants:
                for g in decision.grants:
                    grant_rows.append(
                        {
                            "credit_code": credit_code,
                            "subject_key": g.subject_key,
                            "clause": decision.clause,
                            "amount": g.amount,
                            "cap": g.cap,
                            "project_id": g.project_id,
                            "application_id": p.application_id,
                        }
                    )
                    # Later decisions of this batch see it, as they would had it been read.
                    past.add(
                        credit_code,
                        PriorGrant(
                            decision.clause, g.subject_key, g.amount, g.project_id, str(p.application_id), now.date()
                        ),
                    )
                events.append(
                    publisher.event(
                        AwardGrantedV1(
                            award_id=uuid.uuid5(p.application_id, "award"),
                            application_id=p.application_id,
                            credit_code=credit_code,
                            clause=decision.clause,
                            amount=decision.amount,
                            grants=[
                                GrantLine(subject_key=g.subject_key, amount=g.amount, project_id=g.project_id)
                                for g in decision.grants
                            ],
                            granted_at=now,
                        ),
                        key=credit_code,
                        subject=str(p.application_id),
                        cause=event,
                    )
                )
            elif decision.outcome == "candidate":
                events.append(
                    publisher.event(
                        _candidacy(book, p, application, decision),
                        key=f"{decision.clause}:{decision.year}",
                        subject=str(p.application_id),
                        cause=event,
                    )
                )
            outcomes[decision.outcome] += 1
            log.debug(
                "decided %s under %s: %s %s (%s)",
                p.application_id,
                decision.clause,
                decision.outcome,
                f"{decision.amount:.2f}",
                decision.policy_version,
            )
        await insert_rows(session, decisions, decision_rows)
        count_decisions(session, [(r["clause"], r["outcome"], r["amount"]) for r in decision_rows])
        if grant_rows:
            # A grant conflicting with one recorded meanwhile (a selection's award) fails the batch;
            # decided again, the claim then sees that grant and is refused for it.
            await insert_rows(session, grants, grant_rows)
        await publisher.publish(session, *events)
        log.info("decided %d application(s): %s", len(parsed), ", ".join(f"{n} {o}" for o, n in outcomes.items()))

    async def selected(session: AsyncSession, event: Envelope, p: AwardGrantedV1 | RecognitionGrantedV1) -> None:
        """What a selection gives (money or recognition) counts toward one-time rules too; this
        service's own awards were recorded with their decisions."""
        if event.source == publisher.source:
            return
        recorded = (
            (
                await session.execute(
                    pg_insert(grants)
                    .values(
                        [
                            {
                                "credit_code": p.credit_code,
                                "subject_key": g.subject_key,
                                "clause": p.clause,
                                "amount": g.amount,
                                "cap": g.amount,
                                "project_id": g.project_id,
                                "application_id": p.application_id,
                            }
                            for g in p.grants
                        ]
                    )
                    .on_conflict_do_nothing()
                    .returning(grants.c.subject_key)
                )
            )
            .scalars()
            .all()
        )
        if conflicting := {g.subject_key for g in p.grants} - set(recorded):
            # Never silent: the same award recorded before is "already done"; anything else is a
            # selection awarding a subject this applicant already had under the clause.
            amounts = {g.subject_key: g.amount for g in p.grants}
            earlier = (
                await session.execute(
                    select(grants.c.subject_key, grants.c.application_id, grants.c.amount, grants.c.granted_at).where(
                        grants.c.credit_code == p.credit_code,
                        grants.c.clause == p.clause,
                        grants.c.subject_key.in_(conflicting),
                    )
                )
            ).all()
            if broken := [
                r for r in earlier if (r.application_id, r.amount) != (p.application_id, amounts[r.subject_key])
            ]:
                raise SubjectAlreadyAwarded(
                    "; ".join(
                        f"subject_already_awarded: {r.subject_key} under {p.clause} went to application "
                        f"{r.application_id} on {r.granted_at.date()}, not to {p.application_id}"
                        for r in broken
                    )
                )

    return (
        {ApplicationSubmittedV1: Batched(applications_submitted)},
        {AwardGrantedV1: selected, RecognitionGrantedV1: selected},
    )


def replayable(application: ApplicationBase, submitted_at: datetime) -> dict[str, Any]:
    """What a replay of the decision needs (`subsidy policy whatif`): the application as parsed,
    without whom to tell or pay, and when it was submitted."""
    return {
        "clause": application.clause,
        "applicant": application.applicant.model_dump(mode="json"),
        "occurred_on": application.occurred_on.isoformat(),
        "facts": application.facts.model_dump(mode="json"),
        "submitted_at": submitted_at.isoformat(),
    }


class SubjectAlreadyAwarded(ValueError):
    """An award for a subject already granted under its clause: a broken rule, dead-lettered for
    an operator to look at, never recorded twice."""


def _candidacy(
    book: PolicyBook, p: ApplicationSubmittedV1, application: ApplicationBase, decision: Decision
) -> CandidateAdmittedV2:
    """The admission with all a selection needs of the candidate, read off the rule that admitted it."""
    rule = next(v.rules[decision.clause] for v in book.versions if v.id == decision.policy_version)
    facts = application.facts.__dict__
    ranked_on = {*rule.selection.indicators, *rule.selection.tie_breaks} - {"review_score", "submitted_at"}
    return CandidateAdmittedV2(
        application_id=p.application_id,
        credit_code=application.applicant.credit_code,
        applicant_name=application.applicant.name,
        applicant_kind=application.applicant.kind,
        clause=decision.clause,
        year=decision.year,
        amount=decision.amount,
        # Shown as the applicant spelt it; its subject key holds it as the policy compares it.
        project=None if rule.subject == "applicant" else str(p.application["facts"][rule.subject]),
        grants=[CandidateGrant(subject_key=g.subject_key, project_id=g.project_id) for g in decision.grants],
        indicators={k: str(facts[k]) for k in sorted(ranked_on) if facts.get(k) is not None},
        submitted_at=p.submitted_at,
    )
