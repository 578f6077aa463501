"""A test acting as one service, on a stack's database: wired by the same composition root as the
service's own process and its operator commands (`shared.commands.wired`)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import import_module

from shared import commands
from shared.bootstrap import Wiring
from shared.settings import Settings


def _settings_type(service: str) -> type[Settings]:
    kinds = {
        "payout": "services.payout.settings:PayoutSettings",
        "quota": "services.quota.settings:QuotaSettings",
        "console": "services.console.settings:ConsoleSettings",
    }
    if service not in kinds:
        return Settings
    module, name = kinds[service].split(":")
    return getattr(import_module(module), name)


@asynccontextmanager
async def wired(database_url: str, service: str) -> AsyncIterator[Wiring]:
    metadata = import_module(f"services.{service}.tables").metadata
    async with commands.wired(commands.settings(service, _settings_type(service), database_url), metadata) as w:
        yield w
