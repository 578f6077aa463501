"""Wires the notify service."""

from fastapi import FastAPI

from services.notify import partners
from services.notify.handlers import handlers
from services.notify.tables import metadata
from services.notify.worker import DeliveryPolicy, delivery_worker
from shared.secretbox import SecretBox
from shared.service import Runtime, create_app as create_service_app
from shared.settings import Settings
from shared.webhook_targets import WebhookTargets


def create_app(settings: Settings | None = None, *, webhooks: DeliveryPolicy = DeliveryPolicy()) -> FastAPI:
    settings = settings or Settings(service_name="notify")
    box = SecretBox.from_settings(settings)  # without SECRETS_KEY notify refuses to start
    runtime = Runtime("notify", settings, metadata)
    runtime.handlers["notify-applicants"] = handlers(runtime)
    # Its own group: partner bookkeeping neither waits for nor holds up applicants' notifications.
    runtime.handlers["notify-partners"] = partners.handlers(box)
    runtime.workers.append(delivery_worker(runtime, webhooks, box, WebhookTargets.from_settings(settings)))
    return create_service_app(runtime)
