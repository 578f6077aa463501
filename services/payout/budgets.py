"""Budget lines: one per year and clause, set by finance or an admin. Setting one posts the
difference to its account (a cut is refused if it would leave less than is committed), and awards
waiting on it go ahead, in order, as far as it now reaches."""

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.payout import awards as award_book
from services.payout.books import Books
from services.payout.context import Context
from services.payout.domain import money
from services.payout.domain.ledger import TransferRefused, budget_account
from services.payout.domain.lifecycle import AwardState
from services.payout.tables import accounts, awards, budgets
from shared.policy import PolicyBook
from shared.refusal import Refused


def money_clauses(book: PolicyBook) -> set[str]:
    """The clauses a budget line can be set for: every clause of every version the book holds."""
    return {cid for version in book.versions for cid in version.rules}


async def set_budget(session: AsyncSession, ctx: Context, year: int, clause: str, amount: Decimal, *, by: str) -> dict:
    if clause not in money_clauses(ctx.policy.book):
        raise Refused(
            "unknown_clause", f"{clause} is not a clause of the policy", f"{clause} 不是本政策的条款编号", 422
        )
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise Refused(
            "invalid_amount",
            "a budget is a non-negative amount with at most two decimals",
            "预算金额须为非负数，最多两位小数",
            422,
        )
    books = await Books.open(session, ctx.key)
    account_id = budget_account(year, clause)
    await books.load([account_id, f"funding:{year}"])
    current = (
        await session.execute(select(budgets.c.amount).where(budgets.c.year == year, budgets.c.clause == clause))
    ).scalar() or Decimal("0.00")
    change = money.budget_change(year, clause, current, amount)
    if change is not None:
        try:
            books.apply(change)
        except TransferRefused as refused:
            if refused.code != "exceeds_credits":
                raise
            committed = current - books.account(account_id).headroom
            raise Refused(
                "budget_below_committed",
                f"{year} {clause}: {committed} is already committed (reserved or paid); the budget "
                f"cannot be set to {amount}",
                f"{year} 年 {clause} 已承诺（预留或已拨付）{committed} 元，预算不能设为 {amount} 元",
            ) from None
    now = ctx.now()
    await session.execute(
        insert(budgets)
        .values(year=year, clause=clause, amount=amount, updated_at=now, updated_by=by)
        .on_conflict_do_update(
            index_elements=[budgets.c.year, budgets.c.clause],
            set_={"amount": amount, "updated_at": now, "updated_by": by},
        )
    )
    released = await award_book.release(session, ctx, books, year, clause)
    await books.flush()
    return (await lines(session, year=year, clause=clause))[0] | {"released": released}


async def lines(session: AsyncSession, *, year: int | None = None, clause: str | None = None) -> list[dict]:
    """Each budget line: its amount, what is reserved and paid from it, what is left, what waits."""
    account = accounts.alias("a")
    waiting = (
        select(awards.c.year, awards.c.clause, func.count().label("n"), func.sum(awards.c.amount).label("sum"))
        .where(awards.c.state == AwardState.AWAITING_BUDGET)
        .group_by(awards.c.year, awards.c.clause)
        .subquery()
    )
    query = (
        select(
            budgets,
            account.c.debits_pending,
            account.c.debits_posted,
            account.c.credits_posted,
            waiting.c.n,
            waiting.c.sum,
        )
        .outerjoin(account, account.c.id == func.concat("budget:", budgets.c.year, ":", budgets.c.clause))
        .outerjoin(waiting, (waiting.c.year == budgets.c.year) & (waiting.c.clause == budgets.c.clause))
        .order_by(budgets.c.year, budgets.c.clause)
    )
    if year is not None:
        query = query.where(budgets.c.year == year)
    if clause is not None:
        query = query.where(budgets.c.clause == clause)
    zero = Decimal("0.00")
    out = []
    for r in await session.execute(query):
        # A cut is a debit of the budget account: what was paid is its debits less the cuts.
        cuts = (r.credits_posted or zero) - r.amount
        reserved, spent = r.debits_pending or zero, (r.debits_posted or zero) - cuts
        out.append(
            {
                "year": r.year,
                "clause": r.clause,
                "amount": r.amount,
                "reserved": reserved,
                "paid": spent,
                "available": r.amount - reserved - spent,
                "awaiting_budget": r.n or 0,
                "awaiting_amount": r.sum or zero,
                "updated_at": r.updated_at,
                "updated_by": r.updated_by,
            }
        )
    return out
