"""Scale-out: two replicas each of eligibility and of payout share their groups' partitions, and
every application is still decided once and booked once."""

import asyncio

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from shared.stack import ServiceProcess, free_port
from shared.statuses import STAGE
from tests.e2e.running_stack import Load, every_application_completed, invariants
from tests.kafka_tools import eventually
from tests.money_tools import fund

pytestmark = pytest.mark.e2e


async def handled(process: ServiceProcess, group: str) -> float:
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"{process.admin_url}/metrics")).text
    return sum(
        s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "subsidy_events_consumed_total"
        and s.labels.get("consumer") == group
        and s.labels.get("result") == "handled"
    )


async def test_two_replicas_of_eligibility_and_payout_share_partitions_and_handle_each_application_once(
    services, stack, tmp_path
):
    await fund(stack.database_url)
    second = {
        name: ServiceProcess(name, free_port(), stack.env(), tmp_path / f"{name}-2.log").start()
        for name in ("eligibility", "payout")
    }
    try:
        for process in second.values():
            await asyncio.to_thread(process.wait_ready)
        load = Load(services["intake"].url, await stack.key())
        submitting = asyncio.create_task(load.run())

        async def enough():
            return len(load.accepted) >= 300

        await eventually(enough, timeout_s=60)
        load.stop()
        await submitting

        accepted = await every_application_completed(stack.database_url, STAGE["payout_requested"])
        state = await invariants(stack.database_url)
        assert accepted == state["applications"] == len(load.accepted), state
        assert state["decisions"] == state["decided_applications"] == state["applications"], state
        assert state["payouts"] == state["awards_booked"] == state["eligible"] == state["applications"], state
        assert state["awards_not_booked_once"] == 0 and state["imbalance"] == 0, state
        # Both replicas of each took part: the group split the partitions between them.
        for name, group in (("eligibility", "eligibility-decisions"), ("payout", "payout-ledger")):
            shares = [await handled(services[name], group), await handled(second[name], group)]
            assert all(shares) and sum(shares) >= len(load.accepted), (name, shares)
    finally:
        for process in second.values():
            process.stop()
