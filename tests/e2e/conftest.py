import pytest

from shared.stack import start_services


@pytest.fixture(scope="module")
def services(stack, tmp_path_factory):
    """The five services, each its own process, on the module's database and broker."""
    procs = start_services(stack.env(), tmp_path_factory.mktemp("logs"))
    yield procs
    for proc in procs.values():
        proc.stop()
