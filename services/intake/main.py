"""Wires the intake service: its tables, its routes and the events it follows."""

from fastapi import FastAPI

from services.intake import projection
from services.intake.api import applications, errors
from services.intake.tables import metadata
from shared.service import Runtime, create_app as create_service_app
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = Runtime("intake", settings or Settings(service_name="intake"), metadata,
                      handlers={"intake-status": projection.HANDLERS})

    def configure(app: FastAPI) -> None:
        errors.install(app)
        app.include_router(applications.router)

    return create_service_app(runtime, configure=configure, title="Chengdu blockchain subsidy — intake API")
