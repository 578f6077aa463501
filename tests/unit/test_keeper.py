"""Every background loop has a keeper: a loop that fails is restarted, and health says so."""

import asyncio
from datetime import UTC, datetime

from shared.bootstrap import bootstrap
from shared.db import service_metadata
from shared.messaging.consumer import Backoff
from shared.service import STALL_LIMIT, Loop, Runtime, keep
from shared.settings import Settings

FAST = lambda: Backoff(first_s=0.001, max_s=0.001)  # noqa: E731


def runtime_with(*loops: Loop) -> Runtime:
    settings = Settings(service_name="test", database_url="postgresql://nobody@/none", kafka_bootstrap_servers="-")
    runtime = Runtime(bootstrap(settings, service_metadata("test")))
    runtime.loops = list(loops)
    return runtime


async def test_a_loop_that_fails_is_started_again_and_runs_on():
    failures, running = [RuntimeError("bug"), ConnectionRefusedError()], asyncio.Event()

    async def flaky():
        if failures:
            raise failures.pop(0)
        running.set()
        await asyncio.Event().wait()

    loop = Loop("flaky", flaky)
    loop.task = asyncio.create_task(keep(loop, FAST))
    await asyncio.wait_for(running.wait(), 5)
    assert loop.restarts == 2 and loop.last_error == "ConnectionRefusedError: "
    assert not loop.task.done()
    loop.task.cancel()


async def test_a_loop_that_keeps_failing_for_a_bug_makes_the_process_unhealthy():
    async def broken():
        raise KeyError("missing")

    loop = Loop("broken", broken)
    loop.task = asyncio.create_task(keep(loop, FAST))
    runtime = runtime_with(loop)
    while loop.restarts < 3:
        await asyncio.sleep(0.01)
    assert runtime.unhealthy() is None  # a few failures: it may yet recover
    loop.failing_since = datetime.now(UTC) - STALL_LIMIT * 2  # as if it had failed for two minutes
    problem = runtime.unhealthy()
    assert problem is not None and problem.startswith("broken failing since") and "KeyError" in problem
    loop.task.cancel()


async def test_a_loop_waiting_out_an_outage_stays_healthy():
    async def outage():
        raise ConnectionRefusedError("database away")

    loop = Loop("relay", outage)
    loop.task = asyncio.create_task(keep(loop, FAST))
    while loop.restarts < 3:
        await asyncio.sleep(0.01)
    assert loop.failing_since is None and runtime_with(loop).unhealthy() is None
    loop.task.cancel()


async def test_a_loop_that_ended_or_stalled_makes_the_process_unhealthy():
    async def never_run() -> None:  # the tasks below stand in for the loops' own
        pass

    done = Loop("ended", never_run)
    done.task = asyncio.create_task(asyncio.sleep(0))
    await done.task
    assert runtime_with(done).unhealthy() == "ended stopped"

    stuck = Loop("consumer", never_run, progress=lambda: datetime.now(UTC) - STALL_LIMIT * 2)
    stuck.task = asyncio.create_task(asyncio.Event().wait())
    problem = runtime_with(stuck).unhealthy()
    assert problem is not None and problem.startswith("consumer made no progress since")
    stuck.task.cancel()
