"""Bank details and awards reach payout on two topics, in either order: an award read before its
application's details is held quietly for a grace, and the applicant is told of the hold only if
the details have not come by then."""

import uuid

import pytest
from sqlalchemy import select

from services.payout.main import create_app as payout_app
from services.payout.tables import payees, payouts
from shared import topics
from shared.events import AwardGrantedV1
from shared.messaging.envelope import Envelope
from tests.builders import applicant_code, award
from tests.kafka_tools import eventually, headers, publish, read_until
from tests.money_tools import fund, payee_provided

pytestmark = pytest.mark.integration
NAME = "成都链网科技有限公司"


def granted(event: Envelope) -> AwardGrantedV1:
    return AwardGrantedV1.model_validate_json(event.data)


def payee(event: Envelope) -> Envelope:
    return payee_provided(granted(event), NAME)[0]


async def payout_of(runtime, award_id: uuid.UUID):
    async with runtime.wiring.sessions() as s:
        return (await s.execute(select(payouts).where(payouts.c.award_id == award_id))).first()


async def test_details_read_after_the_award_within_the_grace_make_no_hold_anyone_hears_of(stack, monkeypatch):
    monkeypatch.setenv("PAYOUT_PAYEE_GRACE_S", "3")
    await fund(stack.database_url)
    runtime = payout_app(stack.settings("payout")).state.runtime
    early, never = award(applicant_code(8101)), award(applicant_code(8102))
    await runtime.start()
    try:
        await publish(stack.bootstrap_servers, topics.AWARDS, early, never)
        quiet = await eventually(lambda: payout_of(runtime, granted(early).award_id))
        assert (quiet.status, quiet.hold_reason, quiet.hold_announced_at) == ("held", "payee_missing", None)

        await publish(stack.bootstrap_servers, topics.PAYEES, payee(early))

        async def requested():
            row = await payout_of(runtime, granted(early).award_id)
            return row.status in ("requested", "sent") and row

        assert (await eventually(requested)).id == quiet.id  # the same payout goes, never told as held
        async with runtime.wiring.sessions() as s:
            given = (
                await s.execute(select(payees).where(payees.c.application_id == granted(early).application_id))
            ).one()
        assert (given.provided_by, given.provided_by_role) == (None, "partner")  # a v1: the submitting partner

        # The other award's details never come: once the grace has passed, its applicant is told.
        told = await read_until(
            stack.bootstrap_servers,
            topics.PAYOUTS,
            lambda rs: any(
                headers(r)["ce_type"] == "subsidy.payout.held.v1"
                and headers(r)["ce_subject"] == str(granted(never).application_id)
                for r in rs
            ),
            timeout_s=30,
        )
        held = [r for r in told if headers(r)["ce_type"] == "subsidy.payout.held.v1"]
        assert {headers(r)["ce_subject"] for r in held} == {str(granted(never).application_id)}
        row = await payout_of(runtime, granted(never).award_id)
        assert row.status == "held" and row.hold_announced_at is not None
        assert (row.hold_announced_at - row.created_at).total_seconds() >= 3
    finally:
        await runtime.stop()
