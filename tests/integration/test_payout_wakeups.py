"""Payout's batcher sleeps while no payout waits, and wakes when one is requested or held quietly:
the database announces it (a trigger on payout.payouts), whichever process and path made it so.

The batcher here looks on its own only every ten minutes, so only a notification (and the grace it
then learns of) can make it act within the tests' wait."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import select

from services.payout import awards as awarding
from services.payout import payees as payee_book
from services.payout import worker
from services.payout.context import Context
from services.payout.main import create_app as payout_app
from services.payout.tables import payouts
from shared.events import AwardGrantedV1, PayeeProvidedV1
from shared.messaging.envelope import Envelope
from tests.builders import applicant_code, award
from tests.kafka_tools import eventually
from tests.money_tools import fund, payee_provided
from tests.wiring import wired

pytestmark = pytest.mark.integration
NAME = "成都链网科技有限公司"


@asynccontextmanager
async def sleeping_batcher(stack, monkeypatch, grace_s: str = "0") -> AsyncIterator[list[int]]:
    """A running payout service whose batcher looks on its own only every ten minutes, once its
    first rounds found nothing; yields what each round since its start sent."""
    monkeypatch.setenv("PAYOUT_BATCH_POLL_S", "600")
    monkeypatch.setenv("PAYOUT_PAYEE_GRACE_S", grace_s)  # this process's and `another_process`'s
    rounds: list[int] = []
    send_round = worker.send_round

    async def counted(*args) -> int:
        rounds.append(sent := await send_round(*args))
        return sent

    monkeypatch.setattr(worker, "send_round", counted)
    await fund(stack.database_url)
    runtime = payout_app(stack.settings("payout")).state.runtime
    await runtime.start()
    try:
        await eventually(lambda: _is(rounds))
        await asyncio.sleep(1)
        yield rounds
    finally:
        await runtime.stop()


@pytest.fixture
async def batcher(stack, monkeypatch):
    async with sleeping_batcher(stack, monkeypatch) as rounds:
        yield rounds


async def _is(value):
    return value


def granted(credit_code: str) -> tuple[Envelope, AwardGrantedV1]:
    event = award(credit_code)
    return event, AwardGrantedV1.model_validate_json(event.data)


def payee(a: AwardGrantedV1) -> tuple[Envelope, PayeeProvidedV1]:
    return payee_provided(a, NAME)


async def another_process(stack, *steps) -> None:
    """Each step in its own transaction of another process (as an operator command would)."""
    async with wired(stack.database_url, "payout") as payout:
        for step in steps:
            async with payout.sessions.begin() as session:
                await step(session, Context.of(payout))


async def payout_of(stack, award_id: uuid.UUID):
    async with wired(stack.database_url, "payout") as payout, payout.sessions() as s:
        return (await s.execute(select(payouts).where(payouts.c.award_id == award_id))).one()


async def status(stack, award_id: uuid.UUID) -> str:
    return (await payout_of(stack, award_id)).status


async def test_a_payout_requested_while_the_batcher_sleeps_is_sent_at_once(stack, batcher):
    event, a = granted(applicant_code(8401))
    # The bank details are on file: the payout is inserted requested.
    await another_process(
        stack,
        lambda s, ctx: payee_book.provided(s, ctx, [payee(a)]),
        lambda s, ctx: awarding.book(s, ctx, [(event, a)]),
    )
    await eventually(lambda: _sent(stack, a.award_id), timeout_s=20)


async def test_a_held_payout_released_by_its_bank_details_wakes_the_batcher(stack, batcher):
    event, a = granted(applicant_code(8402))
    await another_process(stack, lambda s, ctx: awarding.book(s, ctx, [(event, a)]))
    assert await status(stack, a.award_id) == "held"
    await asyncio.sleep(0.5)
    # The details come: the held payout is updated to requested.
    await another_process(stack, lambda s, ctx: payee_book.provided(s, ctx, [payee(a)]))
    await eventually(lambda: _sent(stack, a.award_id), timeout_s=20)


async def test_a_payout_held_quietly_while_the_batcher_sleeps_is_told_of_once_its_grace_passes(stack, monkeypatch):
    async with sleeping_batcher(stack, monkeypatch, grace_s="1"):
        event, a = granted(applicant_code(8403))  # no bank details: held, its applicant not told yet
        await another_process(stack, lambda s, ctx: awarding.book(s, ctx, [(event, a)]))
        await eventually(lambda: _told(stack, a.award_id), timeout_s=20)


async def test_an_idle_batcher_runs_no_rounds(stack, batcher):
    idle_since = len(batcher)
    await asyncio.sleep(3)  # fifteen batch intervals of the tests' settings
    assert batcher[idle_since:] == []


async def _sent(stack, award_id: uuid.UUID) -> bool:
    return await status(stack, award_id) == "sent"


async def _told(stack, award_id: uuid.UUID) -> bool:
    return (await payout_of(stack, award_id)).hold_announced_at is not None
