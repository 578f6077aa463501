"""What quota follows: candidates admitted by eligibility join their clause's round for the year;
selection applications tell it names, projects and subjects; intake's key events keep its key replica."""

import logging

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.quota.context import Context
from services.quota.rounds import place_candidate, round_id
from services.quota.tables import api_keys, candidates, details, rounds
from shared.auth import replica_handlers
from shared.events import ApplicationSubmittedV1, CandidateAdmittedV1
from shared.messaging.envelope import Envelope
from shared.policy import InvalidApplication

log = logging.getLogger(__name__)


def handlers(ctx: Context) -> dict[str, dict]:
    async def candidate_admitted(session: AsyncSession, event: Envelope, p: CandidateAdmittedV1) -> None:
        now = ctx.now()
        inserted = (
            await session.execute(
                insert(candidates)
                .values(
                    application_id=p.application_id,
                    clause=p.clause,
                    year=p.year,
                    credit_code=p.credit_code,
                    amount=p.amount,
                    indicators=p.indicators,
                    submitted_at=p.submitted_at,
                    admitted_at=now,
                )
                .on_conflict_do_nothing()
                .returning(candidates.c.application_id)
            )
        ).first()
        if inserted is None:
            return  # one application is admitted once: eligibility decides it once (its id is the key)
        row = (
            await session.execute(select(rounds).where(rounds.c.id == round_id(p.clause, p.year)).with_for_update())
        ).first()
        if row is None:
            return  # waits for its round; joins when an admin creates it
        cand = (await session.execute(select(candidates).where(candidates.c.application_id == p.application_id))).one()
        await place_candidate(session, ctx, row, cand, admitted_at=now, cause=event)

    async def application_submitted(session: AsyncSession, event: Envelope, p: ApplicationSubmittedV1) -> None:
        clause = p.application.get("clause")
        rule = next((v.rules[clause] for v in reversed(ctx.book.versions) if clause in v.rules), None)
        if rule is None or not rule.is_selection:
            return
        try:
            application = ctx.book.parse(p.application)
        except InvalidApplication as e:
            log.warning("application %s cannot be read: %s", p.application_id, e)
            return
        decision = ctx.book.evaluate(application)  # only for its subject keys; eligibility decides
        facts = application.facts.__dict__
        ranked_on = {*rule.formula.indicators, *rule.formula.tie_breaks} - {"review_score", "submitted_at"}
        await session.execute(
            insert(details)
            .values(
                application_id=p.application_id,
                clause=clause,
                applicant_name=application.applicant.name,
                applicant_kind=application.applicant.kind,
                # Shown as the applicant spelt it; compared (in subject keys) as normalised.
                project=None if rule.subject == "applicant" else str(p.application["facts"][rule.subject]),
                grants=[{"subject_key": g.subject_key, "project_id": g.project_id} for g in decision.grants],
                indicators={k: str(facts[k]) for k in sorted(ranked_on) if facts.get(k) is not None},
            )
            .on_conflict_do_nothing()
        )  # one application id, one content: intake never changes an application

    return {
        "quota-rounds": {CandidateAdmittedV1: candidate_admitted},
        "quota-applications": {ApplicationSubmittedV1: application_submitted},
        "quota-keys": replica_handlers(api_keys),
    }
