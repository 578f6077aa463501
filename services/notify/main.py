"""Wires the notify service."""

from fastapi import FastAPI

from services.notify.handlers import handlers
from services.notify.tables import metadata
from shared.service import Runtime, create_app as create_service_app
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = Runtime("notify", settings or Settings(service_name="notify"), metadata)
    runtime.handlers["notify-applicants"] = handlers(runtime)
    return create_service_app(runtime)
