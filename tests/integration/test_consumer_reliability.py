"""The inbox, offset and dead-letter guarantees, shown on the payout service's real consumer."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from services.payout.domain import money
from services.payout.main import create_app
from services.payout.tables import awards, payouts, transfers
from shared import topics
from shared.asyncapi import DEAD_LETTER_HEADERS
from shared.events import AwardGrantedV1, PayoutSettledV1
from shared.messaging.envelope import Envelope
from tests import builders
from tests.kafka_tools import eventually, headers, publish, read_until, send_raw
from tests.money_tools import fund, payee_for, verified

pytestmark = pytest.mark.integration
CREDIT_CODE = "91510100MA61R8XN3X"


def award(amount: str = "800000.00") -> Envelope:
    return builders.award(CREDIT_CODE, amount)


class Crash(BaseException):
    """Stands for the process dying: nothing after it runs."""


@pytest.fixture(scope="module", autouse=True)
async def budget(stack):
    await fund(stack.database_url)


async def started(stack):
    runtime = create_app(stack.settings("payout")).state.runtime
    await runtime.start()
    return runtime


async def count(runtime, table, *where):
    async with runtime.wiring.sessions() as s:
        return (await s.execute(select(func.count()).select_from(table).where(*where))).scalar_one()


async def test_event_redelivered_after_a_crash_before_the_offset_commit_takes_effect_once(stack):
    event = award()
    award_id = AwardGrantedV1.model_validate_json(event.data).award_id
    await publish(stack.bootstrap_servers, topics.AWARDS, event)

    first = await started(stack)
    runner = first.runners[0]

    async def die_before_committing(offsets):
        raise Crash()

    runner.commit_offsets = die_before_committing
    # The database commit happened: the award is booked. Then the consumer died.
    await eventually(lambda: count(first, awards, awards.c.award_id == award_id))
    consumer_task = next(loop.task for loop in first.loops if loop.name == runner.group)
    await eventually(lambda: _done(consumer_task))
    assert isinstance(consumer_task.exception(), Crash)
    await first.stop()

    duplicates_before = _duplicates()
    second = await started(stack)
    try:
        await eventually(lambda: _true(_duplicates() == duplicates_before + 1))  # it came again, the inbox knew it…
        assert await count(second, awards, awards.c.award_id == award_id) == 1  # …and it took effect once
        assert await count(second, payouts, payouts.c.award_id == award_id) == 1
        assert await count(second, transfers, transfers.c.ref == str(award_id)) == 1  # one reservation
        assert (await verified(stack.database_url)).problem is None
    finally:
        await second.stop()


async def test_malformed_message_is_dead_lettered_and_the_partition_moves_on(stack):
    before, after = award("100.00"), award("200.00")
    garbage = (CREDIT_CODE.encode(), b"{not json", before.headers())
    sent = await send_raw(
        stack.bootstrap_servers,
        topics.AWARDS,
        (CREDIT_CODE.encode(), before.data, before.headers()),
        garbage,
        (CREDIT_CODE.encode(), after.data, after.headers()),
    )
    assert len({m.partition for m in sent}) == 1  # one key, one partition: the poison sits between them

    runtime = await started(stack)
    try:
        for e in (before, after):
            award_id = AwardGrantedV1.model_validate_json(e.data).award_id
            await eventually(lambda award_id=award_id: count(runtime, awards, awards.c.award_id == award_id))
        dead = await read_until(
            stack.bootstrap_servers, topics.DEAD_LETTERS, lambda rs: any(r.value == b"{not json" for r in rs)
        )
        letter = next(r for r in dead if r.value == b"{not json")
        h = headers(letter)
        assert h["dlt_topic"] == topics.AWARDS and h["dlt_offset"] == str(sent[1].offset)
        assert "subsidy.award.granted.v1" in h["dlt_error"] and h["dlt_error_type"] == "MalformedEvent"
        assert h["ce_id"] == before.id and h["ce_type"] == before.type  # original headers kept
        # … and the failure in the headers the AsyncAPI document names, all of them.
        assert {k for k in h if k.startswith("dlt_")} == set(DEAD_LETTER_HEADERS)
    finally:
        await runtime.stop()


async def test_a_handler_that_keeps_failing_is_retried_then_dead_lettered(stack):
    unknown_payout = PayoutSettledV1(
        payout_id=uuid.uuid4(), amount=Decimal("1.00"), settled_on=datetime.now(UTC).date(), bank_reference="B-1"
    )
    event = Envelope.of(unknown_payout, source="/finance", key=CREDIT_CODE, subject="x")
    await publish(stack.bootstrap_servers, topics.FINANCE_RESULTS, event)
    runtime = await started(stack)
    try:
        dead = await read_until(
            stack.bootstrap_servers,
            topics.DEAD_LETTERS,
            lambda rs: any(headers(r).get("ce_id") == event.id for r in rs),
        )
        h = headers(next(r for r in dead if headers(r).get("ce_id") == event.id))
        assert h["dlt_attempts"] == "3" and "unknown payout" in h["dlt_error"]
        assert h["dlt_consumer"] == "payout-ledger"
    finally:
        await runtime.stop()


def _duplicates() -> float:
    return (
        REGISTRY.get_sample_value(
            "subsidy_events_consumed_total",
            {"consumer": "payout-ledger", "type": AwardGrantedV1.ce_type, "result": "duplicate"},
        )
        or 0
    )


async def _done(task):
    return task.done()


async def _true(value):
    return value


async def test_a_dead_letter_replayed_after_its_cause_is_fixed_takes_effect(stack):
    from services.console.replays import ReplayClaims
    from shared.events import PayeeDetails, PayeeProvidedV1
    from shared.messaging.dead_letters import replay
    from tests.wiring import wired

    granted = award("5.00")
    p = AwardGrantedV1.model_validate_json(granted.data)
    payout_id = money.payout_id(p.award_id, 1)
    early = PayoutSettledV1(
        payout_id=payout_id, amount=Decimal("5.00"), settled_on=datetime.now(UTC).date(), bank_reference="B-2"
    )
    event = Envelope.of(early, source="/finance", key=CREDIT_CODE, subject="x")
    await publish(stack.bootstrap_servers, topics.FINANCE_RESULTS, event)  # before its payout exists
    runtime = await started(stack)
    try:
        await read_until(
            stack.bootstrap_servers,
            topics.DEAD_LETTERS,
            lambda rs: any(headers(r).get("ce_id") == event.id for r in rs),
        )
        # The cause is fixed: the award, with the applicant's account, is booked and its payout sent.
        payee = PayeeProvidedV1(
            application_id=p.application_id,
            credit_code=CREDIT_CODE,
            applicant_name="甲公司",
            payee=PayeeDetails(**payee_for("甲公司")),
            provided_at=datetime.now(UTC),
        )
        await publish(
            stack.bootstrap_servers,
            topics.PAYEES,
            Envelope.of(payee, source="/subsidy/intake", key=CREDIT_CODE, subject="x"),
        )
        await publish(stack.bootstrap_servers, topics.AWARDS, granted)

        async def sent():
            async with runtime.wiring.sessions() as s:
                return (await s.execute(select(payouts.c.status).where(payouts.c.id == payout_id))).scalar() == "sent"

        await eventually(sent)
        async with wired(stack.database_url, "console") as console:  # replays are the console's
            done = await replay(
                stack.bootstrap_servers, "payout-ledger", claims=ReplayClaims(console.sessions), by="a test"
            )
        assert len(done.sent) >= 1

        async def paid():
            async with runtime.wiring.sessions() as s:
                return (await s.execute(select(payouts.c.status).where(payouts.c.id == payout_id))).scalar()

        assert await eventually(lambda: _is(paid, "paid")) is True
    finally:
        await runtime.stop()


async def _is(fetch, wanted):
    return await fetch() == wanted
