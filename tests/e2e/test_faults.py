"""The running stack under load, with its parts killed: every accepted application still finishes
once, every award is booked once, and the ledger balances."""

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest

from shared.stack import SERVICES
from shared.statuses import STAGE
from tests.e2e.running_stack import Load, Up, every_application_completed, invariants
from tests.money_tools import fund

pytestmark = [pytest.mark.e2e, pytest.mark.faults]


async def under_load(stack, up: Up, fault: Callable[[], Awaitable[None]]) -> None:
    """Partners submit while `fault` happens; then every accepted application must finish, and the
    money must be right."""
    load = Load(up.url("intake"), await stack.key())
    submitting = asyncio.create_task(load.run())
    await fault()
    load.stop()
    await submitting
    assert len(load.accepted) > 100, load.refused

    completed = await every_application_completed(stack.database_url, STAGE["payout_requested"])
    assert completed >= len(load.accepted)
    state = await invariants(stack.database_url)
    assert state["decisions"] == state["decided_applications"] == state["applications"], state
    assert state["payouts"] == state["awards_booked"] == state["eligible"] == state["applications"], state
    assert state["awards_not_booked_once"] == 0 and state["imbalance"] == 0 and state["problem"] is None, state


async def test_the_stack_survives_sigkills_of_eligibility_and_payout_mid_stream(stack, tmp_path):
    await fund(stack.database_url)
    up = await asyncio.to_thread(Up(stack.env(), tmp_path).start)

    async def kill_twice_each():
        for victim in ("eligibility", "payout", "eligibility", "payout"):
            await asyncio.sleep(2.5)
            up.kill(victim)
        await asyncio.sleep(2)

    try:
        await under_load(stack, up, kill_twice_each)
        assert up.process.poll() is None  # the stack kept running…
        said = up.said()
        assert said.count("eligibility exited with -9") == 2 and said.count("payout exited with -9") == 2
        await asyncio.to_thread(up.wait_healthy)  # …and every service is back
        async with httpx.AsyncClient() as client:
            for service in SERVICES:
                assert (await client.get(f"{up.url(service)}/healthz")).json() == {"status": "ok"}
    finally:
        await asyncio.to_thread(up.stop)


async def test_a_stack_killed_outright_and_started_again_finishes_every_accepted_application(stack, tmp_path):
    await fund(stack.database_url)
    up = await asyncio.to_thread(Up(stack.env(), tmp_path).start)

    async def kill_everything_then_start_again():
        await asyncio.sleep(4)
        up.kill_everything()  # broker included: whatever it held is gone
        await asyncio.to_thread(up.start)  # a new broker, over a database that has history

    try:
        await under_load(stack, up, kill_everything_then_start_again)
        assert "re-publishing" in up.said()
    finally:
        await asyncio.to_thread(up.stop)


async def test_a_broker_that_dies_mid_stream_is_replaced_and_every_accepted_application_finishes(stack, tmp_path):
    up = await asyncio.to_thread(Up(stack.env(), tmp_path).start)

    async def kill_the_broker():
        await asyncio.sleep(3)
        up.kill("broker")  # everything it held is gone, topics and offsets included
        await asyncio.sleep(6)

    try:
        await under_load(stack, up, kill_the_broker)
        said = up.said()
        assert "the broker exited with -9" in said and "re-publishing" in said
        assert up.process.poll() is None
    finally:
        await asyncio.to_thread(up.stop)
