"""Wires the intake service: its tables, keys and limits, its routes and the events it follows."""

from fastapi import FastAPI

from services.intake import projection
from services.intake.api import applications, docs, payees, policy, withdrawals
from services.intake.api import partners as partner_routes
from services.intake.partners import KeyRing, key_lookup
from services.intake.submissions import Submissions
from services.intake.tables import SCHEMA, metadata, published_policy_versions
from services.intake.webhooks import WebhookRegistry
from shared import api_errors, policy_versions
from shared.bootstrap import bootstrap
from shared.messaging.consumer import merged
from shared.ratelimit import SharedRateLimiter
from shared.secretbox import SecretBox
from shared.service import Runtime
from shared.service import create_app as create_service_app
from shared.settings import Settings
from shared.webhook_targets import WebhookTargets


def create_app(settings: Settings | None = None) -> FastAPI:
    wiring = bootstrap(settings or Settings(service_name="intake"), metadata)
    # Built first: without SECRETS_KEY intake refuses to start rather than fail on a registration.
    webhooks = WebhookRegistry(
        wiring, SecretBox.from_settings(wiring.settings), WebhookTargets.from_settings(wiring.settings)
    )
    submissions = Submissions(wiring)
    published = policy_versions.replica(wiring, published_policy_versions)
    # A partner's rate holds in total across every intake replica (its state in intake's schema),
    # checked on the hot path's own connections.
    limiter = SharedRateLimiter(submissions.pool, SCHEMA, burst_seconds=wiring.settings.rate_limit_burst_s)
    runtime = Runtime(
        wiring,
        # One group: the policy replica's few events need no group of their own, whose fetches would
        # keep an idle broker busy.
        handlers={"intake-status": merged(projection.HANDLERS, published.handlers)},
        resources=[published.load, submissions.open],
        workers=[published.follow],
    )

    def configure(app: FastAPI) -> None:
        app.state.keys = KeyRing(key_lookup(wiring.sessions))
        app.state.submissions = submissions
        app.state.limiter = limiter
        app.state.webhooks = webhooks
        api_errors.install(app)
        for module in (applications, payees, withdrawals, policy, partner_routes):
            app.include_router(module.router)
        applications.serve_directly(app)
        docs.install(app, wiring.policy)

    return create_service_app(runtime, configure=configure, title="Chengdu blockchain subsidy — intake API")
