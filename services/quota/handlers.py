"""What quota follows: candidates admitted by eligibility join their clause's round for the year,
with what the selection needs of them (names, project, subjects, ranking figures) in the admission
itself; intake's key events keep its key replica, and published policy versions its policy replica,
in the same group (the replicas' few events need no group of their own, whose fetches would keep an
idle broker busy). Quota never reads applications: eligibility alone evaluates the policy."""

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.quota.context import Context
from services.quota.rounds import place_candidate, round_id
from services.quota.tables import api_keys, candidates, details, rounds
from shared.auth import replica_handlers
from shared.events import CandidateAdmittedV1, CandidateAdmittedV2
from shared.messaging.consumer import Handlers, merged
from shared.messaging.envelope import Envelope


def handlers(ctx: Context, policy: Handlers) -> dict[str, Handlers]:
    async def join(session: AsyncSession, event: Envelope, p: CandidateAdmittedV1 | CandidateAdmittedV2) -> None:
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

    async def admitted(session: AsyncSession, event: Envelope, p: CandidateAdmittedV2) -> None:
        # Recorded even when the candidate is already known (from a v1 admission): this is how a
        # candidate without details gets them.
        await session.execute(
            insert(details)
            .values(
                application_id=p.application_id,
                clause=p.clause,
                applicant_name=p.applicant_name,
                applicant_kind=p.applicant_kind,
                project=p.project,
                grants=[g.model_dump() for g in p.grants],
            )
            .on_conflict_do_nothing()
        )  # one application id, one content: eligibility admits an application once
        await join(session, event, p)

    async def admitted_without_details(session: AsyncSession, event: Envelope, p: CandidateAdmittedV1) -> None:
        """A v1 admission (published before eligibility sent v2) carries no name, project or
        subjects, and quota no longer reads applications: the candidate joins its round as before,
        with the details the retired submissions follower recorded if it got to them, else none.
        A round holding a candidate without details is then refused ranking (`details_missing`,
        naming it) until a v2 admission of the same application brings them: it cannot be named
        on the public notice nor awarded, and guessing its subjects would be a second policy."""
        await join(session, event, p)

    return {
        "quota-rounds": merged(
            {CandidateAdmittedV2: admitted, CandidateAdmittedV1: admitted_without_details},
            replica_handlers(api_keys),
            policy,
        ),
    }
