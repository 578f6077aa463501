"""Clawbacks: part or all of a paid award is to be given back (a failed performance review, 绩效评价,
or fraud). An admin records one under a key of their choosing; it is a reversing transfer out of the
award's account into the applicant's receivable, never above what was paid and not yet clawed back.
The same key again with the same amount is the same clawback; with another amount it is refused
(TigerBeetle's `exists_with_different_amount`)."""

from decimal import Decimal
from uuid import UUID

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.payout.books import Books
from services.payout.context import Context
from services.payout.domain import money
from services.payout.domain.ledger import TransferRefused, award_account, receivable_account
from services.payout.tables import awards, clawbacks
from shared.events import ClawbackRecordedV1
from shared.refusal import Refused


async def record(
    session: AsyncSession, ctx: Context, award_id: UUID, *, key: str, amount: Decimal, reason: str, by: str
) -> tuple[dict, bool]:
    """The clawback, and whether it was recorded now (False: the same one was recorded before)."""
    books = await Books.open(session, ctx.key)
    award = (await session.execute(select(awards).where(awards.c.award_id == award_id).with_for_update())).first()
    if award is None:
        raise Refused("not_found", f"award {award_id} not found", f"未找到补贴 {award_id}", 404)
    transfer = money.clawback(award_id, award.credit_code, key, amount)
    await books.load([award_account(award_id), receivable_account(award.credit_code)], [transfer.id])
    try:
        result = books.apply(transfer)
    except TransferRefused as refused:
        if refused.code == "exists_with_different_amount":
            booked = books.transfer(transfer.id)
            assert booked is not None, "refused as existing: it was loaded"
            earlier = booked.amount
            raise Refused(
                "exists_with_different_amount",
                f"clawback {key!r} of this award was recorded for {earlier}, not {amount}",
                f"追回记录 {key!r} 已按 {earlier} 元登记，与本次金额 {amount} 元不符",
            ) from None
        if refused.code == "exceeds_credits":
            account = books.account(award_account(award_id))
            raise Refused(
                "exceeds_paid",
                f"{account.credits_posted} was paid under this award and {account.debits_posted} already "
                f"clawed back: at most {account.headroom} more can be",
                f"该补贴已拨付 {account.credits_posted} 元，已追回 {account.debits_posted} 元，"
                f"最多还可追回 {account.headroom} 元",
            ) from None
        raise
    if result == "ok":
        now = ctx.now()
        await session.execute(
            insert(clawbacks).values(
                id=transfer.id, award_id=award_id, key=key, amount=amount, reason=reason, by=by, recorded_at=now
            )
        )
        total = books.account(award_account(award_id)).debits_posted
        await ctx.publisher.publish(
            session,
            ctx.tell(
                ClawbackRecordedV1(
                    clawback_id=transfer.id,
                    award_id=award_id,
                    application_id=award.application_id,
                    credit_code=award.credit_code,
                    amount=amount,
                    total_clawed_back=total,
                    reason=reason,
                    by=by,
                    recorded_at=now,
                ),
                credit_code=award.credit_code,
                application_id=award.application_id,
                cause=None,
            ),
        )
        await books.flush()
    row = (await session.execute(select(clawbacks).where(clawbacks.c.id == transfer.id))).one()
    return dict(row._mapping), result == "ok"
