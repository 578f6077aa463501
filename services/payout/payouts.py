"""Making payouts: a reserved award gets one, requested when the applicant's bank details are on
file and valid, held with the reason otherwise; a rejected one is replaced by a new payout once the
details are corrected."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.payout.context import Context
from services.payout.domain import money
from services.payout.domain.lifecycle import PayoutState
from services.payout.tables import payees, payouts
from shared import bulk
from shared.bulk import among
from shared.events import PayoutHeldV1, PayoutRequestedV2
from shared.messaging.envelope import Envelope
from shared.payee import Payee, mask, problem


@dataclass(frozen=True)
class Award:
    award_id: UUID
    application_id: UUID
    credit_code: str
    clause: str
    amount: object


def payee_problem(row) -> tuple[str, str] | None:
    """(reason, detail) when these bank details cannot be paid into."""
    if row is None:
        return "payee_missing", "no bank account was given for this application"
    try:
        payee = _payee(row)
    except ValidationError as e:
        return "payee_invalid", _why(e)
    if why := problem(payee, row.applicant_name):
        return "payee_invalid", why
    return None


def malformed(row) -> str | None:
    """What is wrong with the form of a row's bank details (account_name, account_number, bank), if anything."""
    try:
        _payee(row)
    except ValidationError as e:
        return _why(e)
    return None


def _payee(row) -> Payee:
    return Payee(account_name=row.account_name, account_number=row.account_number, bank=row.bank)


def _why(e: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors())


async def payees_of(session: AsyncSession, application_ids) -> dict:
    rows = await session.execute(select(payees).where(among(payees.c.application_id, set(application_ids))))
    return {r.application_id: r for r in rows}


async def start(
    session: AsyncSession,
    ctx: Context,
    reserved: list[tuple[Award, Envelope | None]],
    *,
    attempt: dict[UUID, int] | None = None,
    replaces: dict[UUID, UUID] | None = None,
) -> None:
    """Opens one payout for each award, requested or held; one statement for the rows."""
    if not reserved:
        return
    now = ctx.now()
    on_file = await payees_of(session, [a.application_id for a, _ in reserved])
    rows, events = [], []
    for award, cause in reserved:
        n = (attempt or {}).get(award.award_id, 1)
        payout_id = money.payout_id(award.award_id, n)
        payee = on_file.get(award.application_id)
        row = {
            "id": payout_id,
            "award_id": award.award_id,
            "attempt": n,
            "application_id": award.application_id,
            "credit_code": award.credit_code,
            "clause": award.clause,
            "amount": award.amount,
            "replaces": (replaces or {}).get(award.award_id),
        }
        held = payee_problem(payee)
        if held and held[0] == "payee_missing" and ctx.payee_grace:
            # The details may be on their way (another topic): told only if the grace passes.
            rows.append(row | {"status": PayoutState.HELD, "hold_reason": held[0], "reason": held[1]})
        elif held:
            reason, detail = held
            rows.append(
                row | {"status": PayoutState.HELD, "hold_reason": reason, "reason": detail, "hold_announced_at": now}
            )
            events.append(
                ctx.tell(
                    held_event(award, payout_id, reason, detail),
                    credit_code=award.credit_code,
                    application_id=award.application_id,
                    cause=cause,
                )
            )
        else:
            assert payee is not None, "payee_problem finds a missing payee"
            expected = money.expected_on(now, ctx.service_level_days)
            rows.append(
                row
                | {
                    "status": PayoutState.REQUESTED,
                    "account_name": payee.account_name,
                    "account_number": payee.account_number,
                    "bank": payee.bank,
                    "requested_at": now,
                    "expected_on": expected,
                }
            )
            events.append(
                ctx.tell(
                    requested_event(award, payout_id, payee.account_number, now, expected, row["replaces"]),
                    credit_code=award.credit_code,
                    application_id=award.application_id,
                    cause=cause,
                )
            )
    await bulk.insert_rows(session, payouts, [_complete(r) for r in rows])
    await ctx.publisher.publish(session, *events)


_COLUMNS = (
    "hold_reason",
    "reason",
    "account_name",
    "account_number",
    "bank",
    "requested_at",
    "expected_on",
    "hold_announced_at",
)


def _complete(row: dict) -> dict:
    # One statement for the rows needs the same keys in every row.
    return dict.fromkeys(_COLUMNS) | row


def held_event(award, payout_id: UUID, reason: str, detail: str = "", reason_code: str | None = None) -> PayoutHeldV1:
    return PayoutHeldV1(
        payout_id=payout_id,
        award_id=award.award_id,
        application_id=award.application_id,
        credit_code=award.credit_code,
        amount=award.amount,
        reason=reason,
        reason_code=reason_code,
        detail=detail,
        what_to_do=money.what_to_do(reason, reason_code),
    )


def requested_event(
    award, payout_id: UUID, account_number: str, at: datetime, expected, replaces=None
) -> PayoutRequestedV2:
    return PayoutRequestedV2(
        payout_id=payout_id,
        award_id=award.award_id,
        application_id=award.application_id,
        credit_code=award.credit_code,
        amount=award.amount,
        account=mask(account_number),
        requested_at=at,
        expected_on=expected,
        replaces=replaces,
    )


async def next_quiet_hold_in(session: AsyncSession, ctx: Context) -> float | None:
    """Seconds until `announce_quiet_holds` would find the next hold due (negative if one is); None without any."""
    due_at = func.min(payouts.c.created_at) + ctx.payee_grace
    quiet = (payouts.c.status == PayoutState.HELD) & payouts.c.hold_announced_at.is_(None)
    due_in = (await session.execute(select(func.extract("epoch", due_at - func.now())).where(quiet))).scalar()
    return None if due_in is None else float(due_in)


async def announce_quiet_holds(session: AsyncSession, ctx: Context, limit: int = 500) -> int:
    """Tells of payouts held for missing bank details once the grace has passed without them."""
    due = (
        await session.execute(
            select(payouts)
            .where(
                payouts.c.status == PayoutState.HELD,
                payouts.c.hold_announced_at.is_(None),
                payouts.c.created_at <= func.now() - ctx.payee_grace,
            )
            .order_by(payouts.c.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not due:
        return 0
    await session.execute(
        update(payouts).where(among(payouts.c.id, [p.id for p in due])).values(hold_announced_at=func.now())
    )
    await ctx.publisher.publish(
        session,
        *[
            ctx.tell(
                held_event(
                    Award(p.award_id, p.application_id, p.credit_code, p.clause, p.amount),
                    p.id,
                    p.hold_reason,
                    p.reason or "",
                ),
                credit_code=p.credit_code,
                application_id=p.application_id,
                cause=None,
            )
            for p in due
        ],
    )
    return len(due)
