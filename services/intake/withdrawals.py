"""Withdrawing an application: recorded once with who and why, its event owed and its status step
taken in the same transaction (intake follows no topic for its own events).

Intake refuses what it knows to be over (a final decision, the payment paid or cancelled); whether
the money can still be stopped is payout's to say, since only payout knows when a payout has left
for the finance system: there the money's fate wins and the withdrawal is recorded as too late.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import insert, select

from services.intake.projection import statuses_changed
from services.intake.tables import applications, withdrawals
from shared.auth import Caller
from shared.bootstrap import Wiring
from shared.events import ApplicationWithdrawnV1
from shared.refusal import Refused

# Statuses after which there is nothing left to withdraw: decided against, or the money's story ended.
FINAL = frozenset(
    {"ineligible", "not_selected", "removed", "recognized", "paid", "payout_cancelled", "clawback_recorded"}
)


class NotFound(LookupError):
    """No such application for this caller."""


@dataclass(frozen=True)
class Withdrawal:
    application_id: UUID
    reason: str
    by: str
    withdrawn_at: datetime
    replayed: bool


async def withdraw(wiring: Wiring, caller: Caller, application_id: UUID, reason: str) -> Withdrawal:
    """Withdraws the application for a partner that submitted it or an admin. Asking again with the
    same reason answers with the withdrawal recorded; another reason is refused (409)."""
    a = applications.c
    async with wiring.sessions.begin() as session:
        query = select(a.id, a.partner_id, a.credit_code, a.clause, a.status).where(a.id == application_id)
        if caller.role != "admin":
            query = query.where(a.partner_id == caller.partner_id)
        # Locked, so that two withdrawals at once are one withdrawal and one repeat.
        row = (await session.execute(query.with_for_update())).first()
        if row is None:
            raise NotFound(application_id)
        earlier = (
            await session.execute(select(withdrawals).where(withdrawals.c.application_id == application_id))
        ).first()
        if earlier is not None:
            if earlier.reason != reason:
                raise Refused(
                    "already_withdrawn",
                    f"the application was already withdrawn by {earlier.by} "
                    f"at {earlier.withdrawn_at.isoformat()}, for another reason",
                    f"该申请已由 {earlier.by} 于 {earlier.withdrawn_at.isoformat()} 以其他理由撤回",
                )
            return Withdrawal(application_id, earlier.reason, earlier.by, earlier.withdrawn_at, replayed=True)
        if row.status in FINAL:
            raise Refused(
                "application_final",
                f"the application is {row.status}: there is nothing left to withdraw",
                f"该申请状态为 {row.status}，已办结，不能撤回",
            )
        now = datetime.now(UTC)
        withdrawn = ApplicationWithdrawnV1(
            application_id=application_id,
            credit_code=row.credit_code,
            clause=row.clause,
            partner_id=row.partner_id,
            reason=reason,
            by=caller.partner_id,
            withdrawn_at=now,
        )
        event = wiring.publisher.event(withdrawn, key=row.credit_code, subject=str(application_id))
        await session.execute(
            insert(withdrawals).values(
                application_id=application_id, reason=reason, by=caller.partner_id, withdrawn_at=now, event_id=event.id
            )
        )
        await wiring.publisher.publish(session, event)
        await statuses_changed(session, [(event, withdrawn)])
    return Withdrawal(application_id, reason, caller.partner_id, now, replayed=False)
