"""Wires the eligibility service."""

from fastapi import FastAPI

from services.eligibility.handlers import handlers
from services.eligibility.tables import metadata
from shared.bootstrap import bootstrap
from shared.service import Runtime
from shared.service import create_app as create_service_app
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    wiring = bootstrap(settings or Settings(service_name="eligibility"), metadata)
    decide, follow_awards = handlers(wiring)
    runtime = Runtime(wiring, handlers={"eligibility-decisions": decide, "eligibility-grants": follow_awards})
    return create_service_app(runtime, documented=False)  # it answers on events only: no API to document
