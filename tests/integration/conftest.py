import pytest

from shared.stack import ServiceProcess, free_port
from tests.selection_tools import clock


@pytest.fixture(scope="module")
def intake(stack, tmp_path_factory):
    """The intake service as its own process, answering over real HTTP."""
    process = ServiceProcess("intake", free_port(), stack.env(), tmp_path_factory.mktemp("logs") / "intake.log")
    process.start().wait_ready()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def quota_clock(tmp_path_factory):
    """The quota service's time, which the test moves (see shared/clock.py)."""
    return clock(tmp_path_factory.mktemp("clock") / "now", "2024-09-02T09:00:00")


def quota_process(stack, quota_clock, log_dir) -> ServiceProcess:
    env = {**stack.env(), "QUOTA_CLOCK_FILE": str(quota_clock.path), "QUOTA_TICK_S": "0.3", "QUOTA_PUBLIC_RATE": "100"}
    return ServiceProcess("quota", free_port(), env, log_dir / f"quota-{free_port()}.log")


@pytest.fixture(scope="module")
def quota(stack, quota_clock, tmp_path_factory):
    """The quota service as its own process, on a clock the test moves."""
    process = quota_process(stack, quota_clock, tmp_path_factory.mktemp("logs")).start()
    process.wait_ready()
    yield process
    process.stop()
