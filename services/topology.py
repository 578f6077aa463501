"""What each service is made of, read from its own wiring rather than from a copy: its consumer
groups and the topics each reads, and its HTTP routes. The deployment manifests, `subsidy status`
and the tests all ask here, so a group added to a service is seen everywhere.

Building an app opens nothing (engines connect lazily), so this needs no server.
"""

from functools import cache
from importlib import import_module
from typing import TypedDict

from fastapi import FastAPI

from services.payout.settings import PayoutSettings
from shared.secretbox import new_key
from shared.settings import Settings
from shared.stack import PRODUCT


class _Given(TypedDict):
    database_url: str
    kafka_bootstrap_servers: str
    service_name: str
    secrets_key: str


@cache
def _app(service: str) -> FastAPI:
    given: _Given = {
        "database_url": "postgresql://topology@localhost/topology",
        "kafka_bootstrap_servers": "-",
        "service_name": service,
        "secrets_key": new_key(),
    }
    # Payout refuses to be built without the key of its ledger: any will do to read its wiring.
    settings = PayoutSettings(**given, ledger_key="topology") if service == "payout" else Settings(**given)
    return import_module(f"services.{service}.main").create_app(settings)


def consumer_groups() -> dict[str, dict[str, tuple[str, ...]]]:
    """service → its consumer groups → the topics each group reads."""
    return {
        service: {
            group: tuple(sorted({model.topic for model in handlers}))
            for group, handlers in _app(service).state.runtime.handlers.items()
        }
        for service in PRODUCT
    }


def routes(service: str) -> set[str]:
    """The paths the service's API answers."""
    return {route.path for route in _app(service).routes if hasattr(route, "path")}
