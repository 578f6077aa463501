"""An application withdrawn: its award's payment is cancelled while the money has not left, by the
same rule and with the same record as an admin's cancellation (`awards.cancel`); once the payout is
with the finance system or paid, the money's fate wins and the withdrawal is recorded as too late.
An award read after the withdrawal (awards come on another topic) is booked cancelled (`awards.book`)."""

import logging

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.payout import awards as awarding
from services.payout.books import Books
from services.payout.context import Context
from services.payout.domain.lifecycle import AwardState
from services.payout.tables import awards, withdrawals
from shared.events import ApplicationWithdrawnV1
from shared.messaging.envelope import Envelope
from shared.refusal import Refused

log = logging.getLogger(__name__)
TOO_LATE = ("already_paid", "payout_in_flight")  # awards.cancel's refusals once the money has left


async def withdrawn(session: AsyncSession, ctx: Context, event: Envelope, p: ApplicationWithdrawnV1) -> None:
    # The ledger's lock first, as booking an award takes it before it reads the withdrawals: an award
    # and its withdrawal read at once on two partitions are then one after the other, never both
    # missing the other.
    await Books.open(session, ctx.key)
    if (
        await session.execute(
            select(withdrawals.c.application_id).where(withdrawals.c.application_id == p.application_id)
        )
    ).first() is not None:
        return  # intake publishes one withdrawal an application: this one is recorded
    outcome = "no_award"
    ids = (
        await session.execute(
            select(awards.c.award_id)
            .where(awards.c.application_id == p.application_id, awards.c.state != AwardState.CANCELLED)
            .order_by(awards.c.seq)
        )
    ).scalars()
    for award_id in list(ids):
        try:
            await awarding.cancel(session, ctx, award_id, reason=awarding.withdrawn_reason(p.reason), by=p.by)
        except Refused as refused:
            if refused.code not in TOO_LATE:
                raise
            log.warning("application %s withdrawn too late: award %s %s", p.application_id, award_id, refused.code)
            outcome = "too_late"
            continue
        outcome = "cancelled" if outcome != "too_late" else outcome
    await session.execute(
        insert(withdrawals).values(
            application_id=p.application_id,
            credit_code=p.credit_code,
            reason=p.reason,
            by=p.by,
            withdrawn_at=p.withdrawn_at,
            outcome=outcome,
        )
    )
