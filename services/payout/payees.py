"""Bank details from intake: kept per application (the newest wins) with who gave them, and acted on
at once — a payout held for want of them is requested, one rejected by the bank is replaced by a new
payout."""

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.payout import payouts as making
from services.payout.context import Context
from services.payout.domain import money
from services.payout.domain.lifecycle import PayoutState, check
from services.payout.payouts import Award, held_event, payee_problem, payees_of, requested_event
from services.payout.tables import payees, payouts
from shared.events import PayeeProvidedV1, PayeeProvidedV2
from shared.messaging.envelope import Envelope

_NEW = insert(payees)
# Details given later replace earlier ones; an older event read late changes nothing.
_UPSERT = _NEW.on_conflict_do_update(
    index_elements=[payees.c.application_id],
    where=payees.c.provided_at <= _NEW.excluded.provided_at,
    set_={
        c: _NEW.excluded[c]
        for c in (
            "credit_code",
            "applicant_name",
            "account_name",
            "account_number",
            "bank",
            "provided_at",
            "provided_by",
            "provided_by_role",
        )
    },
)


def _giver(p: PayeeProvidedV1 | PayeeProvidedV2) -> dict:
    """Who gave the details: a v1 does not say, and was only ever the partner that submitted."""
    if isinstance(p, PayeeProvidedV2):
        return {"provided_by": p.provided_by, "provided_by_role": p.provided_by_role}
    return {"provided_by": None, "provided_by_role": "partner"}


async def provided(
    session: AsyncSession, ctx: Context, batch: list[tuple[Envelope, PayeeProvidedV1 | PayeeProvidedV2]]
) -> None:
    newest: dict = {}
    for event, p in batch:
        if p.application_id not in newest or newest[p.application_id][1].provided_at <= p.provided_at:
            newest[p.application_id] = (event, p)
    rows = [
        {
            "application_id": p.application_id,
            "credit_code": p.credit_code,
            "applicant_name": p.applicant_name,
            "account_name": p.payee.account_name,
            "account_number": p.payee.account_number,
            "bank": p.payee.bank,
            "provided_at": p.provided_at,
            **_giver(p),
        }
        for _, p in newest.values()
    ]
    await session.execute(_UPSERT, rows)
    waiting = (
        await session.execute(
            select(payouts)
            .where(
                payouts.c.application_id.in_(list(newest)),
                payouts.c.status.in_((PayoutState.HELD, PayoutState.REJECTED)),
            )
            .with_for_update()
        )
    ).all()
    if not waiting:
        return
    on_file = await payees_of(session, [w.application_id for w in waiting])
    now, events, corrected = ctx.now(), [], []
    for w in waiting:
        cause = newest[w.application_id][0]
        award = Award(w.award_id, w.application_id, w.credit_code, w.clause, w.amount)
        payee = on_file.get(w.application_id)
        status = PayoutState(w.status)
        if (held := payee_problem(payee)) is not None:
            reason, detail = held
            if status == PayoutState.HELD:
                await session.execute(
                    update(payouts)
                    .where(payouts.c.id == w.id)
                    .values(hold_reason=reason, reason=detail, hold_announced_at=now)
                )
            events.append(
                ctx.tell(
                    held_event(award, w.id, reason, detail),
                    credit_code=w.credit_code,
                    application_id=w.application_id,
                    cause=cause,
                )
            )
        elif status == PayoutState.HELD:  # never sent: it goes now, under the same id
            assert payee is not None, "payee_problem finds a missing payee"
            check(status, PayoutState.REQUESTED)
            expected = money.expected_on(now, ctx.service_level_days)
            await session.execute(
                update(payouts)
                .where(payouts.c.id == w.id)
                .values(
                    status=PayoutState.REQUESTED,
                    hold_reason=None,
                    reason=None,
                    account_name=payee.account_name,
                    account_number=payee.account_number,
                    bank=payee.bank,
                    requested_at=now,
                    expected_on=expected,
                )
            )
            events.append(
                ctx.tell(
                    requested_event(award, w.id, payee.account_number, now, expected),
                    credit_code=w.credit_code,
                    application_id=w.application_id,
                    cause=cause,
                )
            )
        else:  # rejected by the bank: superseded by a new payout for the same award
            check(status, PayoutState.SUPERSEDED)
            corrected.append((w, award, cause))
    await ctx.publisher.publish(session, *events)
    await reissue(session, ctx, corrected)


async def reissue(session: AsyncSession, ctx: Context, rejected: list) -> None:
    """Closes payouts that are rejected (the callers checked: their rows may be older) and opens a
    new one for each of their awards."""
    if not rejected:
        return
    await session.execute(
        update(payouts).where(payouts.c.id.in_([w.id for w, _, _ in rejected])).values(status=PayoutState.SUPERSEDED)
    )
    await making.start(
        session,
        ctx,
        [(award, cause) for _, award, cause in rejected],
        attempt={w.award_id: w.attempt + 1 for w, _, _ in rejected},
        replaces={w.award_id: w.id for w, _, _ in rejected},
    )
