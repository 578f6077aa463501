"""Two replicas of a service share its partitions; when one is killed mid-batch the other takes its
partitions over, and every effect still happens exactly once."""

import asyncio

import httpx
import pytest

from shared.stack import ServiceProcess, free_port
from shared.statuses import STAGE
from tests.e2e.running_stack import Load, every_application_completed, invariants
from tests.money_tools import fund

pytestmark = [pytest.mark.e2e, pytest.mark.faults]


async def test_a_payout_replica_killed_mid_stream_hands_its_partitions_to_the_other(services, stack, tmp_path):
    await fund(stack.database_url)
    second = ServiceProcess("payout", free_port(), stack.env(), tmp_path / "payout-2.log").start()
    await asyncio.to_thread(second.wait_ready)
    try:
        load = Load(services["intake"].url, await stack.key())
        submitting = asyncio.create_task(load.run())
        await asyncio.sleep(4)
        services["payout"].kill()  # SIGKILL, whatever it was doing
        await asyncio.sleep(3)
        load.stop()
        await submitting
        assert len(load.accepted) > 100, load.refused

        await every_application_completed(stack.database_url, STAGE["payout_requested"])
        state = await invariants(stack.database_url)
        assert state["payouts"] == state["awards_booked"] == state["eligible"] == state["applications"], state
        assert state["awards_not_booked_once"] == 0 and state["imbalance"] == 0 and state["problem"] is None, state
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"{second.url}/healthz")).json() == {"status": "ok"}
    finally:
        second.stop()
        services["payout"].start()  # the module's other tests expect it
        await asyncio.to_thread(services["payout"].wait_ready)
