"""Wires the quota service."""

from fastapi import FastAPI

from services.quota.handlers import HANDLERS
from services.quota.tables import metadata
from shared.service import Runtime, create_app as create_service_app
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = Runtime("quota", settings or Settings(service_name="quota"), metadata,
                      handlers={"quota-rounds": HANDLERS})
    return create_service_app(runtime)
