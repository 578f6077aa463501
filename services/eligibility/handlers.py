"""Decides each submitted application under the policy in force on its date, against the
applicant's grants so far, and publishes what follows: the decision, and an award or a candidacy."""

import logging
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncSession

from services.eligibility.tables import decisions, grants
from shared.events import (ApplicationSubmittedV1, AwardGrantedV1, CandidateAdmittedV1,
                           DecisionMadeV1, GrantLine)
from shared.messaging.envelope import Envelope
from shared.policy import History, PolicyBook, PriorGrant
from shared.service import Runtime

log = logging.getLogger(__name__)


async def history_of(session: AsyncSession, credit_code: str) -> History:
    rows = (await session.execute(select(grants).where(grants.c.credit_code == credit_code))).all()
    return History(tuple(PriorGrant(r.clause, r.subject_key, r.amount, r.project_id) for r in rows))


async def record_grants(session: AsyncSession, credit_code: str, clause: str,
                        application_id: uuid.UUID, lines: list[GrantLine]) -> None:
    if lines:
        await session.execute(upsert(grants).values([
            {"credit_code": credit_code, "subject_key": g.subject_key, "clause": clause, "amount": g.amount,
             "project_id": g.project_id, "application_id": application_id} for g in lines
        ]).on_conflict_do_nothing())


def handlers(runtime: Runtime, book: PolicyBook):
    async def application_submitted(session: AsyncSession, event: Envelope, p: ApplicationSubmittedV1) -> None:
        application = book.parse(p.application)
        credit_code = application.applicant.credit_code
        decision = book.evaluate(application, await history_of(session, credit_code))
        now = datetime.now(UTC)
        decision_id = uuid.uuid5(p.application_id, "decision")
        await session.execute(insert(decisions).values(
            id=decision_id, application_id=p.application_id, credit_code=credit_code,
            clause=decision.clause, outcome=decision.outcome, amount=decision.amount, body=decision.to_json()))
        made = DecisionMadeV1(
            decision_id=decision_id, application_id=p.application_id, credit_code=credit_code,
            clause=decision.clause, outcome=decision.outcome, amount=decision.amount,
            reasons=decision.to_json()["reasons"], trace=decision.to_json()["trace"],
            policy_version=decision.policy_version or "", policy_hash=decision.policy_hash or "",
            decided_at=now)
        events = [runtime.event(made, key=credit_code, subject=str(p.application_id), cause=event)]
        lines = [GrantLine(subject_key=g.subject_key, amount=g.amount, project_id=g.project_id)
                 for g in decision.grants]
        if decision.outcome == "eligible" and lines:
            await record_grants(session, credit_code, decision.clause, p.application_id, lines)
            events.append(runtime.event(AwardGrantedV1(
                award_id=uuid.uuid5(p.application_id, "award"), application_id=p.application_id,
                credit_code=credit_code, clause=decision.clause, amount=decision.amount, grants=lines,
                granted_at=now), key=credit_code, subject=str(p.application_id), cause=event))
        elif decision.outcome == "candidate":
            events.append(runtime.event(CandidateAdmittedV1(
                application_id=p.application_id, credit_code=credit_code, clause=decision.clause,
                year=decision.year, amount=decision.amount, indicators=_indicators(application),
                submitted_at=p.submitted_at), key=f"{decision.clause}:{decision.year}",
                subject=str(p.application_id), cause=event))
        await runtime.publish(session, *events)
        log.info("decided %s under %s: %s %s (%s)", p.application_id, decision.clause, decision.outcome,
                 f"{decision.amount:.2f}", decision.policy_version)

    async def award_granted(session: AsyncSession, event: Envelope, p: AwardGrantedV1) -> None:
        # Awards from selections count toward one-time rules too; our own are already recorded.
        await record_grants(session, p.credit_code, p.clause, p.application_id, p.grants)

    return ({ApplicationSubmittedV1: application_submitted}, {AwardGrantedV1: award_granted})


def _indicators(application) -> dict[str, str]:
    """The applicant's own figures a round may break ties on."""
    facts = application.facts.model_dump()
    return {k: str(v) for k, v in facts.items() if isinstance(v, int | Decimal) and not isinstance(v, bool)}
