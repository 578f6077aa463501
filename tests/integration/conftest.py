import pytest

from shared.stack import ServiceProcess, free_port


@pytest.fixture(scope="module")
def intake(stack, tmp_path_factory):
    """The intake service as its own process, answering over real HTTP."""
    process = ServiceProcess("intake", free_port(), stack.env(), tmp_path_factory.mktemp("logs") / "intake.log")
    process.start().wait_ready()
    yield process
    process.stop()
