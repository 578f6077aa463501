"""The exchange with the city's finance system: requested payouts leave in pain.001-shaped batches,
each carrying the ledger's head for the finance system to keep;
pain.002-shaped status reports accept or reject each one; camt.054-shaped notifications say which
were booked, and the ledger posts their reservations. An answer names a payout by the end-to-end id
its batch carried, 32 hex digits, or the hyphenated id of a batch sent before v2 (`payout_id_of`)."""

import zlib
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.payout import anchor
from services.payout import payees as payee_book
from services.payout.books import Books
from services.payout.context import Context
from services.payout.domain import instructions, money
from services.payout.domain.lifecycle import AwardState, PayoutState, check, reported
from services.payout.payouts import Award, held_event, malformed
from services.payout.tables import awards, batches, payees, payouts
from shared import observability
from shared.events import (
    PaymentsBookedV1,
    PaymentStatusReportedV1,
    PayoutFailedV2,
    PayoutPaidV2,
    PayoutRejectedV1,
    PayoutSettledV1,
)
from shared.messaging.envelope import Envelope

BATCH_LOCK = zlib.crc32(b"payout.batches")


async def send_batch(session: AsyncSession, ctx: Context, max_payouts: int) -> int:
    """Puts the oldest requested payouts in one batch owed to the finance system; 0 when there are
    none, or another replica is making a batch right now."""
    if not (await session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": BATCH_LOCK})).scalar():
        return 0
    rows = (
        await session.execute(
            select(payouts)
            .where(payouts.c.status == PayoutState.REQUESTED)
            .order_by(payouts.c.requested_at, payouts.c.id)
            .limit(max_payouts)
            .with_for_update()
        )
    ).all()
    if not rows:
        return 0
    now = ctx.now()
    rows = await _hold_malformed(session, ctx, rows, now)
    if not rows:
        return 0
    for r in rows:
        check(PayoutState(r.status), PayoutState.SENT)
    message = instructions.batch(
        [
            instructions.Instruction(r.id, r.amount, r.account_name, r.account_number, r.bank, r.clause, r.award_id)
            for r in rows
        ],
        now,
        debtor_name=ctx.debtor_name,
        debtor_account=ctx.debtor_account,
        execution_date=money.expected_on(now, 0),
        ledger_head=anchor.as_payload(await anchor.current(session, ctx)),
    )
    await session.execute(
        insert(batches).values(
            message_id=message.message_id,
            created_at=now,
            transactions=message.number_of_transactions,
            control_sum=message.control_sum,
        )
    )
    await session.execute(
        update(payouts)
        .where(payouts.c.id.in_([r.id for r in rows]))
        .values(status=PayoutState.SENT, batch_id=message.message_id)
    )
    await ctx.publisher.publish(
        session, ctx.publisher.event(message, key=message.message_id, subject=message.message_id)
    )
    return len(rows)


async def _hold_malformed(session: AsyncSession, ctx: Context, rows: Sequence, now: datetime) -> list:
    """The rows whose bank details still pass the payee checks; the others (taken before a check was
    tightened: an account name over pain.001's 140 characters) are held until corrected details come,
    and the applicant told, rather than cut or left to stop every batch."""
    fit, events = [], []
    for r in rows:
        if (why := malformed(r)) is None:
            fit.append(r)
            continue
        check(PayoutState(r.status), PayoutState.HELD)
        await session.execute(
            update(payouts)
            .where(payouts.c.id == r.id)
            .values(status=PayoutState.HELD, hold_reason="payee_invalid", reason=why, hold_announced_at=now)
        )
        award = Award(r.award_id, r.application_id, r.credit_code, r.clause, r.amount)
        events.append(
            ctx.tell(
                held_event(award, r.id, "payee_invalid", why),
                credit_code=r.credit_code,
                application_id=r.application_id,
                cause=None,
            )
        )
    await ctx.publisher.publish(session, *events)
    return fit


async def _locked(session: AsyncSession, ids: Iterable[UUID]) -> dict:
    wanted = list(set(ids))
    found = {
        r.id: r
        for r in await session.execute(
            select(payouts).where(payouts.c.id.in_(wanted)).order_by(payouts.c.id).with_for_update()
        )
    }
    if missing := [str(i) for i in wanted if i not in found]:
        raise LookupError(f"unknown payout {', '.join(missing)}")
    return found


async def status_reported(
    session: AsyncSession, ctx: Context, event: Envelope, report: PaymentStatusReportedV1
) -> None:
    answered = [(instructions.payout_id_of(t.end_to_end_id), t) for t in report.transactions]
    found = await _locked(session, (payout_id for payout_id, _ in answered))
    await session.execute(
        update(batches)
        .where(batches.c.message_id == report.original_message_id)
        .values(group_status=report.group_status)
    )
    rejected = []
    for payout_id, t in answered:
        p = found[payout_id]
        # An answer the payout is already past (the booking came first, or the report again) is news acted on.
        target = reported(PayoutState(p.status), accepted=t.status in ("ACCP", "ACSC"))
        if target == PayoutState.ACCEPTED:
            await session.execute(update(payouts).where(payouts.c.id == p.id).values(status=target))
        elif target == PayoutState.REJECTED:
            rejected.append((p, t.reason_code or "NARR", t.reason or money.REASONS.get(t.reason_code or "", "")))
    await reject(session, ctx, event, rejected)


async def reject(session: AsyncSession, ctx: Context, cause: Envelope, rejected: list) -> None:
    """Rejected payouts (checked by the callers) are held for corrected bank details; details
    corrected while the payout was with the bank make a new payout at once."""
    if not rejected:
        return
    events, corrected = [], []
    newer = {
        r.application_id: r.provided_at
        for r in await session.execute(
            select(payees.c.application_id, payees.c.provided_at).where(
                payees.c.application_id.in_([p.application_id for p, _, _ in rejected])
            )
        )
    }
    for p, code, reason in rejected:
        await session.execute(
            update(payouts)
            .where(payouts.c.id == p.id)
            .values(status=PayoutState.REJECTED, hold_reason="payout_rejected", reason_code=code, reason=reason)
        )
        award = Award(p.award_id, p.application_id, p.credit_code, p.clause, p.amount)
        events.append(
            ctx.tell(
                PayoutFailedV2(
                    payout_id=p.id,
                    award_id=p.award_id,
                    application_id=p.application_id,
                    credit_code=p.credit_code,
                    reason_code=code,
                    reason=reason,
                ),
                credit_code=p.credit_code,
                application_id=p.application_id,
                cause=cause,
            )
        )
        events.append(
            ctx.tell(
                held_event(award, p.id, "payout_rejected", reason, code),
                credit_code=p.credit_code,
                application_id=p.application_id,
                cause=cause,
            )
        )
        if p.requested_at and newer.get(p.application_id) and newer[p.application_id] > p.requested_at:
            check(PayoutState.REJECTED, PayoutState.SUPERSEDED)  # rejected just now
            corrected.append((p, award, cause))
    await ctx.publisher.publish(session, *events)
    await payee_book.reissue(session, ctx, corrected)


async def booked(
    session: AsyncSession, ctx: Context, event: Envelope, entries: list[tuple[UUID, Decimal, date, str]]
) -> None:
    """Posts the reservations of payouts the bank booked (payout id, amount, booked on, reference)."""
    books = await Books.open(session, ctx.key)
    found = await _locked(session, (e[0] for e in entries))
    award_rows = {
        r.award_id: r
        for r in await session.execute(
            select(awards).where(awards.c.award_id.in_([p.award_id for p in found.values()])).with_for_update()
        )
    }
    reservations = {a: money.reserve(a, r.year, r.clause, r.amount) for a, r in award_rows.items()}
    await books.load(
        {x for t in reservations.values() for x in (t.debit, t.credit)}, [t.id for t in reservations.values()]
    )
    events: list[Envelope] = []
    paid_now: dict[UUID, str] = {}
    for payout_id, amount, on, reference in entries:
        p = found[payout_id]
        status, told = (
            (PayoutState.PAID, paid_now[payout_id])
            if payout_id in paid_now
            else (PayoutState(p.status), p.bank_reference)
        )
        if status == PayoutState.PAID and told == reference and p.amount == amount:
            continue  # the same booking told twice
        if status == PayoutState.PAID:
            raise ValueError(f"finance booked payout {payout_id} again under another reference or amount")
        check(status, PayoutState.PAID)
        check(AwardState(award_rows[p.award_id].state), AwardState.PAID)
        if amount != p.amount:
            raise ValueError(f"finance booked {amount} for payout {payout_id} of {p.amount}")
        books.apply(money.settle(reservations[p.award_id], payout_id, amount))
        await session.execute(
            update(payouts)
            .where(payouts.c.id == payout_id)
            .values(status=PayoutState.PAID, settled_on=on, bank_reference=reference)
        )
        await session.execute(update(awards).where(awards.c.award_id == p.award_id).values(state=AwardState.PAID))
        paid_now[payout_id] = reference
        observability.count_paid(session, amount)
        events.append(
            ctx.tell(
                PayoutPaidV2(
                    payout_id=payout_id,
                    award_id=p.award_id,
                    application_id=p.application_id,
                    credit_code=p.credit_code,
                    amount=amount,
                    settled_on=on,
                    bank_reference=reference,
                ),
                credit_code=p.credit_code,
                application_id=p.application_id,
                cause=event,
            )
        )
    await books.flush()
    await ctx.publisher.publish(session, *events)


async def payments_booked(session: AsyncSession, ctx: Context, event: Envelope, n: PaymentsBookedV1) -> None:
    await booked(
        session,
        ctx,
        event,
        [(instructions.payout_id_of(e.end_to_end_id), e.amount, e.booked_on, e.bank_reference) for e in n.entries],
    )


# The first interface, one payout per message: still understood.
async def settled_v1(session: AsyncSession, ctx: Context, event: Envelope, p: PayoutSettledV1) -> None:
    await booked(session, ctx, event, [(p.payout_id, p.amount, p.settled_on, p.bank_reference)])


async def rejected_v1(session: AsyncSession, ctx: Context, event: Envelope, p: PayoutRejectedV1) -> None:
    payout = (await _locked(session, [p.payout_id]))[p.payout_id]
    check(PayoutState(payout.status), PayoutState.REJECTED)
    await reject(session, ctx, event, [(payout, "NARR", p.reason)])
