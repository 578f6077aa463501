"""Wires the intake service: its tables, keys and limits, its routes and the events it follows."""

from fastapi import FastAPI

from services.intake import projection
from services.intake.api import applications, docs, payees, policy
from services.intake.api import partners as partner_routes
from services.intake.partners import KeyRing, key_lookup
from services.intake.submissions import Submissions
from services.intake.tables import metadata
from services.intake.webhooks import WebhookRegistry
from shared import api_errors
from shared.ratelimit import RateLimiter
from shared.secretbox import SecretBox
from shared.service import Runtime
from shared.service import create_app as create_service_app
from shared.settings import Settings
from shared.webhook_targets import WebhookTargets


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings(service_name="intake")
    runtime = Runtime("intake", settings, metadata, handlers={"intake-status": projection.HANDLERS})
    # Built first: without SECRETS_KEY intake refuses to start rather than fail on a registration.
    webhooks = WebhookRegistry(runtime, SecretBox.from_settings(settings), WebhookTargets.from_settings(settings))

    def configure(app: FastAPI) -> None:
        app.state.keys = KeyRing(key_lookup(runtime.sessions))
        app.state.submissions = Submissions(runtime)
        app.state.limiter = RateLimiter()
        app.state.webhooks = webhooks
        api_errors.install(app)
        for module in (applications, payees, policy, partner_routes):
            app.include_router(module.router)
        docs.install(app)

    return create_service_app(runtime, configure=configure, title="Chengdu blockchain subsidy — intake API")
