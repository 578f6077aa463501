"""Wires the payout service."""

from fastapi import FastAPI

from services.payout.handlers import handlers
from services.payout.tables import metadata
from shared.service import Runtime, create_app as create_service_app
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = Runtime("payout", settings or Settings(service_name="payout"), metadata)
    runtime.handlers["payout-ledger"] = handlers(runtime)
    return create_service_app(runtime)
