"""A withdrawn application's award, in payout: withdrawals and awards come on two topics, so either
may be read first; the payment is cancelled while the money has not left, and goes ahead once it has."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from services.payout import awards as awarding
from services.payout import withdrawals as withdrawing
from services.payout.context import Context
from services.payout.tables import awards, metadata, payouts, withdrawals
from shared.events import ApplicationWithdrawnV1, AwardGrantedV1
from shared.messaging.envelope import Envelope
from tests.builders import applicant_code, award
from tests.money_tools import fund, verified
from tests.wiring import wired

pytestmark = pytest.mark.integration
outbox = metadata.tables["payout.outbox"]


def withdrawal(granted: Envelope, reason: str = "项目终止") -> tuple[Envelope, ApplicationWithdrawnV1]:
    a = AwardGrantedV1.model_validate_json(granted.data)
    p = ApplicationWithdrawnV1(
        application_id=a.application_id,
        credit_code=a.credit_code,
        clause=a.clause,
        partner_id="portal",
        reason=reason,
        by="portal",
        withdrawn_at=datetime.now(UTC),
    )
    return Envelope.of(p, source="/subsidy/intake", key=a.credit_code, subject=str(a.application_id)), p


async def state(stack, granted: Envelope) -> tuple[str, list[str], str | None, list[str]]:
    """The award's state, its payouts', the withdrawal's outcome and the cancellations owed."""
    a = AwardGrantedV1.model_validate_json(granted.data)
    async with wired(stack.database_url, "payout") as payout, payout.sessions() as s:
        award_state = (await s.execute(select(awards.c.state).where(awards.c.award_id == a.award_id))).scalar_one()
        statuses = list((await s.execute(select(payouts.c.status).where(payouts.c.award_id == a.award_id))).scalars())
        outcome = (
            await s.execute(select(withdrawals.c.outcome).where(withdrawals.c.application_id == a.application_id))
        ).scalar()
        owed = [
            bytes(v).decode()
            for v in (await s.execute(select(outbox.c.value).where(outbox.c.key == a.credit_code))).scalars()
        ]
    return award_state, statuses, outcome, [v for v in owed if "withdrawn: " in v]


async def handle(stack, fn) -> None:
    async with wired(stack.database_url, "payout") as payout, payout.sessions.begin() as session:
        await fn(session, Context.of(payout))


async def test_an_award_read_after_its_application_was_withdrawn_is_booked_cancelled_and_never_paid(stack):
    await fund(stack.database_url)
    granted = award(applicant_code(8301))
    event, p = withdrawal(granted)
    await handle(stack, lambda s, ctx: withdrawing.withdrawn(s, ctx, event, p))
    a = AwardGrantedV1.model_validate_json(granted.data)
    await handle(stack, lambda s, ctx: awarding.book(s, ctx, [(granted, a)]))
    award_state, statuses, outcome, cancellations = await state(stack, granted)
    assert (award_state, statuses, outcome) == ("cancelled", [], "no_award")
    assert len(cancellations) == 1 and '"reason":"withdrawn: 项目终止"' in cancellations[0]
    assert (await verified(stack.database_url)).problem is None


async def test_a_withdrawal_read_after_the_award_cancels_its_held_payout_and_frees_the_budget(stack):
    await fund(stack.database_url)
    granted = award(applicant_code(8302))  # no bank details: its payout is held
    a = AwardGrantedV1.model_validate_json(granted.data)
    await handle(stack, lambda s, ctx: awarding.book(s, ctx, [(granted, a)]))
    assert (await state(stack, granted))[:2] == ("reserved", ["held"])
    event, p = withdrawal(granted)
    await handle(stack, lambda s, ctx: withdrawing.withdrawn(s, ctx, event, p))
    award_state, statuses, outcome, cancellations = await state(stack, granted)
    assert (award_state, statuses, outcome, len(cancellations)) == ("cancelled", ["cancelled"], "cancelled", 1)
    assert (await verified(stack.database_url)).problem is None


async def test_a_withdrawal_read_once_the_payout_is_with_the_finance_system_is_too_late(stack):
    await fund(stack.database_url)
    granted = award(applicant_code(8303))
    a = AwardGrantedV1.model_validate_json(granted.data)
    await handle(stack, lambda s, ctx: awarding.book(s, ctx, [(granted, a)]))
    async with wired(stack.database_url, "payout") as payout, payout.sessions.begin() as s:
        await s.execute(update(payouts).where(payouts.c.award_id == a.award_id).values(status="sent"))
    event, p = withdrawal(granted)
    await handle(stack, lambda s, ctx: withdrawing.withdrawn(s, ctx, event, p))
    award_state, statuses, outcome, cancellations = await state(stack, granted)
    assert (award_state, statuses, outcome, cancellations) == ("reserved", ["sent"], "too_late", [])


async def test_an_award_of_another_application_of_the_same_applicant_is_not_touched(stack):
    await fund(stack.database_url)
    code = applicant_code(8304)
    withdrawn_one, kept = award(code), award(code)
    for g in (withdrawn_one, kept):
        a = AwardGrantedV1.model_validate_json(g.data)
        await handle(stack, lambda s, ctx, g=g, a=a: awarding.book(s, ctx, [(g, a)]))
    event, p = withdrawal(withdrawn_one)
    await handle(stack, lambda s, ctx: withdrawing.withdrawn(s, ctx, event, p))
    assert (await state(stack, withdrawn_one))[0] == "cancelled"
    assert (await state(stack, kept))[:2] == ("reserved", ["held"])
    assert uuid.UUID(str(p.application_id)) != AwardGrantedV1.model_validate_json(kept.data).application_id
