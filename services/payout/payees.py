"""Bank details from intake: kept per application (the newest wins) with who gave them, and acted on
at once — a payout held for want of them is requested, one rejected by the bank is replaced by a new
payout."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.payout import payouts as making
from services.payout.context import Context
from services.payout.domain import money
from services.payout.domain.lifecycle import PayoutState, check
from services.payout.payouts import Award, held_event, payee_problem, payees_of, requested_event
from services.payout.tables import payees, payouts
from shared import bulk
from shared.bulk import among
from shared.events import PayeeProvidedV1, PayeeProvidedV2
from shared.messaging.envelope import Envelope

_GIVEN = (
    "credit_code",
    "applicant_name",
    "account_name",
    "account_number",
    "bank",
    "provided_at",
    "provided_by",
    "provided_by_role",
)
_NEW = bulk.inserting(payees, ("application_id", *_GIVEN))
# Details given later replace earlier ones; an older event read late changes nothing.
_UPSERT = _NEW.on_conflict_do_update(
    index_elements=[payees.c.application_id],
    where=payees.c.provided_at <= _NEW.excluded.provided_at,
    set_={c: _NEW.excluded[c] for c in _GIVEN},
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
    await session.execute(_UPSERT, bulk.arrays(payees, rows, ("application_id", *_GIVEN)))
    waiting = [
        dict(w._mapping)
        for w in await session.execute(
            select(payouts)
            .where(
                among(payouts.c.application_id, newest),
                payouts.c.status.in_((PayoutState.HELD, PayoutState.REJECTED)),
            )
            .order_by(payouts.c.id)
            .with_for_update()
        )
    ]
    if not waiting:
        return
    on_file = await payees_of(session, [w["application_id"] for w in waiting])
    now, events, changed, corrected = ctx.now(), [], [], []
    for w in waiting:
        cause = newest[w["application_id"]][0]
        award = Award(w["award_id"], w["application_id"], w["credit_code"], w["clause"], w["amount"])
        payee = on_file.get(w["application_id"])
        status = PayoutState(w["status"])
        if (held := payee_problem(payee)) is not None:
            reason, detail = held
            if status == PayoutState.HELD:
                changed.append(w | {"hold_reason": reason, "reason": detail, "hold_announced_at": now})
            events.append(
                ctx.tell(
                    held_event(award, w["id"], reason, detail),
                    credit_code=w["credit_code"],
                    application_id=w["application_id"],
                    cause=cause,
                )
            )
        elif status == PayoutState.HELD:  # never sent: it goes now, under the same id
            assert payee is not None, "payee_problem finds a missing payee"
            check(status, PayoutState.REQUESTED)
            expected = money.expected_on(now, ctx.service_level_days)
            changed.append(
                w
                | {
                    "status": PayoutState.REQUESTED,
                    "hold_reason": None,
                    "reason": None,
                    "account_name": payee.account_name,
                    "account_number": payee.account_number,
                    "bank": payee.bank,
                    "requested_at": now,
                    "expected_on": expected,
                }
            )
            events.append(
                ctx.tell(
                    requested_event(award, w["id"], payee.account_number, now, expected),
                    credit_code=w["credit_code"],
                    application_id=w["application_id"],
                    cause=cause,
                )
            )
        else:  # rejected by the bank: superseded by a new payout for the same award
            check(status, PayoutState.SUPERSEDED)
            changed.append(w | {"status": PayoutState.SUPERSEDED})
            corrected.append((w, award, cause))
    # Each changed payout written back whole (its row is locked): one statement for them all.
    await bulk.update_rows(session, payouts, [{c: w[c] for c in _CHANGING} for w in changed])
    await ctx.publisher.publish(session, *events)
    await reissue(session, ctx, corrected)


# The payout columns bank details may change.
_CHANGING = (
    "id",
    "status",
    "hold_reason",
    "reason",
    "hold_announced_at",
    "account_name",
    "account_number",
    "bank",
    "requested_at",
    "expected_on",
)


async def reissue(session: AsyncSession, ctx: Context, superseded: list) -> None:
    """Opens a new payout for the award of each (payout row, award, cause) the caller superseded."""
    if not superseded:
        return
    await making.start(
        session,
        ctx,
        [(award, cause) for _, award, cause in superseded],
        attempt={w["award_id"]: w["attempt"] + 1 for w, _, _ in superseded},
        replaces={w["award_id"]: w["id"] for w, _, _ in superseded},
    )
