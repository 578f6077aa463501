"""Candidates admitted by eligibility join their clause's round for the year."""

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.quota.tables import candidates
from shared.events import CandidateAdmittedV1
from shared.messaging.envelope import Envelope


async def candidate_admitted(session: AsyncSession, event: Envelope, p: CandidateAdmittedV1) -> None:
    await session.execute(insert(candidates).values(
        application_id=p.application_id, clause=p.clause, year=p.year, credit_code=p.credit_code,
        amount=p.amount, indicators=p.indicators, submitted_at=p.submitted_at,
    ).on_conflict_do_nothing())


HANDLERS = {CandidateAdmittedV1: candidate_admitted}
