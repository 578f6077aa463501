"""Awards against budgets: each is reserved on its budget line (a pending transfer) if it fits and
nothing waits before it, and waits in order (`awaiting_budget`) otherwise; raising the budget or
releasing a reservation lets the waiting ones go ahead, first come first. An admin may cancel an
award whose payment has not left: its reservation is voided."""

from uuid import UUID

from sqlalchemy import select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.payout import payouts as making
from services.payout.books import Books
from services.payout.context import Context
from services.payout.domain import money
from services.payout.domain.ledger import TransferRefused, budget_account
from services.payout.domain.lifecycle import OPEN_PAYOUTS, AwardState, PayoutState, cancellable, check
from services.payout.payouts import Award
from services.payout.tables import awards, payouts, withdrawals
from shared import bulk
from shared.bulk import among
from shared.events import AwardGrantedV1, PayoutCancelledV1, PayoutDeferredV1
from shared.messaging.envelope import Envelope
from shared.refusal import Refused

RELEASE_PAGE = 1000


def withdrawn_reason(why: str) -> str:
    """The cancellation's reason when the application was withdrawn."""
    return f"withdrawn: {why}"


def _award(row) -> Award:
    return Award(row.award_id, row.application_id, row.credit_code, row.clause, row.amount)


async def book(session: AsyncSession, ctx: Context, batch: list[tuple[Envelope, AwardGrantedV1]]) -> None:
    """Books a batch of awards: one lock, one read of their budgets, one write of each kind."""
    batch = [(e, p) for e, p in batch if p.amount > 0]  # recognition without money has nothing to pay
    if not batch:
        return
    books = await Books.open(session, ctx.key)
    known = {
        r.award_id: r.amount
        for r in await session.execute(
            select(awards.c.award_id, awards.c.amount).where(among(awards.c.award_id, [p.award_id for _, p in batch]))
        )
    }
    fresh = []
    for event, p in batch:
        if p.award_id in known:
            if known[p.award_id] != p.amount:  # the same award with another amount is nobody's repeat
                raise ValueError(f"award {p.award_id} was booked for {known[p.award_id]}, not {p.amount}")
            continue  # the same award published again: booked once
        known[p.award_id] = p.amount
        fresh.append((event, p, money.budget_year(p.granted_at)))
    if not fresh:
        return
    fresh = await _book_withdrawn(session, ctx, fresh)
    if not fresh:
        return
    lines = {(year, p.clause) for _, p, year in fresh}
    await books.load(budget_account(y, c) for y, c in lines)
    queued = set(await _lines_with_a_queue(session, lines))
    rows: list[dict[str, object]] = []
    reserved: list[tuple[Award, Envelope, int]] = []
    waiting: list[tuple[Award, Envelope, int]] = []
    for event, p, year in fresh:
        line = (year, p.clause)
        state = AwardState.AWAITING_BUDGET
        if line not in queued:
            try:
                books.apply(money.reserve(p.award_id, year, p.clause, p.amount))
                state = AwardState.RESERVED
            except TransferRefused as refused:
                if refused.code != "exceeds_credits":
                    raise
                queued.add(line)
        rows.append(
            {
                "award_id": p.award_id,
                "application_id": p.application_id,
                "credit_code": p.credit_code,
                "clause": p.clause,
                "year": year,
                "amount": p.amount,
                "state": state,
                "granted_at": p.granted_at,
            }
        )
        award = Award(p.award_id, p.application_id, p.credit_code, p.clause, p.amount)
        (reserved if state == AwardState.RESERVED else waiting).append((award, event, year))
    await bulk.insert_rows(session, awards, rows)
    await books.flush()
    await making.start(session, ctx, [(a, e) for a, e, _ in reserved])
    await ctx.publisher.publish(
        session,
        *(
            ctx.tell(
                PayoutDeferredV1(
                    award_id=a.award_id,
                    application_id=a.application_id,
                    credit_code=a.credit_code,
                    clause=a.clause,
                    year=year,
                    amount=a.amount,
                ),
                credit_code=a.credit_code,
                application_id=a.application_id,
                cause=e,
            )
            for a, e, year in waiting
        ),
    )


async def _book_withdrawn(
    session: AsyncSession, ctx: Context, fresh: list[tuple[Envelope, AwardGrantedV1, int]]
) -> list[tuple[Envelope, AwardGrantedV1, int]]:
    """Books cancelled, reserving nothing, the awards of applications already withdrawn (awards and
    withdrawals come on different topics, so either may be read first); returns the others."""
    withdrawn = {
        r.application_id: r
        for r in await session.execute(
            select(withdrawals).where(among(withdrawals.c.application_id, {p.application_id for _, p, _ in fresh}))
        )
    }
    if not withdrawn:
        return fresh
    cancelled = [(e, p, y) for e, p, y in fresh if p.application_id in withdrawn]
    await bulk.insert_rows(
        session,
        awards,
        [
            {
                "award_id": p.award_id,
                "application_id": p.application_id,
                "credit_code": p.credit_code,
                "clause": p.clause,
                "year": year,
                "amount": p.amount,
                "state": AwardState.CANCELLED,
                "granted_at": p.granted_at,
            }
            for _, p, year in cancelled
        ],
    )
    await ctx.publisher.publish(
        session,
        *(
            ctx.tell(
                PayoutCancelledV1(
                    award_id=p.award_id,
                    payout_id=None,
                    application_id=p.application_id,
                    credit_code=p.credit_code,
                    amount=p.amount,
                    reason=withdrawn_reason(withdrawn[p.application_id].reason),
                    by=withdrawn[p.application_id].by,
                ),
                credit_code=p.credit_code,
                application_id=p.application_id,
                cause=e,
            )
            for e, p, _ in cancelled
        ),
    )
    return [(e, p, y) for e, p, y in fresh if p.application_id not in withdrawn]


async def _lines_with_a_queue(session: AsyncSession, lines) -> list[tuple[int, str]]:
    if not lines:
        return []
    rows = await session.execute(
        select(awards.c.year, awards.c.clause)
        .where(awards.c.state == AwardState.AWAITING_BUDGET, tuple_(awards.c.year, awards.c.clause).in_(list(lines)))
        .group_by(awards.c.year, awards.c.clause)
    )
    return [(r.year, r.clause) for r in rows]


async def release(session: AsyncSession, ctx: Context, books: Books, year: int, clause: str) -> int:
    """Lets awaiting awards of a budget line go ahead, in order, while they fit. Needs the books open."""
    account_id = budget_account(year, clause)
    await books.load([account_id])
    released, after = 0, 0
    while True:
        queue = (
            await session.execute(
                select(awards)
                .where(
                    awards.c.state == AwardState.AWAITING_BUDGET,
                    awards.c.year == year,
                    awards.c.clause == clause,
                    awards.c.seq > after,
                )
                .order_by(awards.c.seq)
                .limit(RELEASE_PAGE)
                .with_for_update()
            )
        ).all()
        ahead = money.going_ahead(
            books.account(account_id).headroom, [money.Waiting(r.award_id, r.amount) for r in queue]
        )
        for w, row in zip(ahead, queue, strict=False):
            check(AwardState(row.state), AwardState.RESERVED)
            books.apply(money.reserve(w.award_id, year, clause, w.amount))
        if ahead:
            ids = [w.award_id for w in ahead]
            await session.execute(update(awards).where(among(awards.c.award_id, ids)).values(state=AwardState.RESERVED))
            await making.start(session, ctx, [(_award(r), None) for r in queue[: len(ahead)]])
        released += len(ahead)
        if len(ahead) < len(queue) or len(queue) < RELEASE_PAGE:
            return released
        after = queue[-1].seq


async def cancel(session: AsyncSession, ctx: Context, award_id: UUID, *, reason: str, by: str) -> dict:
    """Cancels an award whose money has not left: the reservation is voided and the budget freed."""
    books = await Books.open(session, ctx.key)
    award = (await session.execute(select(awards).where(awards.c.award_id == award_id).with_for_update())).first()
    if award is None:
        raise Refused("not_found", f"award {award_id} not found", f"未找到补贴 {award_id}", 404)
    state = AwardState(award.state)
    payout = None
    if state != AwardState.CANCELLED:
        payout = (
            await session.execute(
                select(payouts)
                .where(payouts.c.award_id == award_id, payouts.c.status.in_(OPEN_PAYOUTS))
                .with_for_update()
            )
        ).first()
    if not cancellable(state, PayoutState(payout.status) if payout else None):
        return {"award_id": award_id, "state": AwardState.CANCELLED}  # cancelling twice is cancelling once
    if state == AwardState.RESERVED:
        reservation = money.reserve(award_id, award.year, award.clause, award.amount)
        await books.load([reservation.debit, reservation.credit], [reservation.id])
        books.apply(money.cancel(books.transfer(reservation.id) or reservation))
    await session.execute(update(awards).where(awards.c.award_id == award_id).values(state=AwardState.CANCELLED))
    if payout is not None:
        await session.execute(update(payouts).where(payouts.c.id == payout.id).values(status=PayoutState.CANCELLED))
    await ctx.publisher.publish(
        session,
        ctx.tell(
            PayoutCancelledV1(
                award_id=award_id,
                payout_id=payout.id if payout else None,
                application_id=award.application_id,
                credit_code=award.credit_code,
                amount=award.amount,
                reason=reason,
                by=by,
            ),
            credit_code=award.credit_code,
            application_id=award.application_id,
            cause=None,
        ),
    )
    await release(session, ctx, books, award.year, award.clause)
    await books.flush()
    return {"award_id": award_id, "state": AwardState.CANCELLED}
