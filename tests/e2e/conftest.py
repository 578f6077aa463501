import pytest

from shared.stack import start_services


@pytest.fixture(scope="module")
def services(stack, tmp_path_factory):
    """The five services, each its own process, on the module's database and broker. Webhooks may
    reach the tests' local receivers, as in development."""
    procs = start_services(stack.env() | {"WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"}, tmp_path_factory.mktemp("logs"))
    yield procs
    for proc in procs.values():
        proc.stop()
