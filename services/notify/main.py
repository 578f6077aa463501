"""Wires the notify service."""

from fastapi import FastAPI

from services.notify import partners
from services.notify.handlers import handlers
from services.notify.tables import metadata
from services.notify.worker import DeliveryPolicy, delivery_worker
from shared.service import Runtime, create_app as create_service_app
from shared.settings import Settings


def create_app(settings: Settings | None = None, *, webhooks: DeliveryPolicy = DeliveryPolicy()) -> FastAPI:
    runtime = Runtime("notify", settings or Settings(service_name="notify"), metadata)
    runtime.handlers["notify-applicants"] = handlers(runtime)
    # Its own group: partner bookkeeping neither waits for nor holds up applicants' notifications.
    runtime.handlers["notify-partners"] = partners.HANDLERS
    runtime.workers.append(delivery_worker(runtime, webhooks))
    return create_service_app(runtime)
