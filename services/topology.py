"""What each service is made of, read from its own wiring rather than from a copy: its consumer
groups and the topics each reads, and its HTTP routes. The deployment manifests, `subsidy status`
and the tests all ask here, so a group added to a service is seen everywhere.

Building an app opens nothing (engines connect lazily), so this needs no server.
"""

from functools import cache
from importlib import import_module

from fastapi import FastAPI

from shared.secretbox import new_key
from shared.settings import Settings
from shared.stack import SERVICES


@cache
def _app(service: str) -> FastAPI:
    settings = Settings(database_url="postgresql://topology@localhost/topology", kafka_bootstrap_servers="-",
                        service_name=service, secrets_key=new_key())
    return import_module(f"services.{service}.main").create_app(settings)


def consumer_groups() -> dict[str, dict[str, tuple[str, ...]]]:
    """service → its consumer groups → the topics each group reads."""
    return {service: {group: tuple(sorted({model.topic for model in handlers}))
                      for group, handlers in _app(service).state.runtime.handlers.items()}
            for service in SERVICES}


def routes(service: str) -> set[str]:
    """The paths the service's API answers."""
    return {route.path for route in _app(service).routes if hasattr(route, "path")}
