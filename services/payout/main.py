"""Wires the payout service: its ledger and keys, the events it follows, the loops that send
batches to the finance system and publish the ledger's head, and the finance officials' API."""

from fastapi import FastAPI

from services.payout import anchor
from services.payout.api import docs, routes
from services.payout.context import Context
from services.payout.handlers import handlers
from services.payout.settings import PayoutSettings
from services.payout.tables import api_keys, metadata, published_policy_versions
from services.payout.worker import batcher
from shared import api_errors, policy_versions
from shared.auth import KeyRing, replica_lookup
from shared.bootstrap import bootstrap
from shared.ratelimit import RateLimiter
from shared.service import Runtime
from shared.service import create_app as create_service_app
from shared.settings import Settings

DESCRIPTION = """\
The payout ledger of Chengdu's blockchain-pilot subsidies: budget lines, payouts, corrections and reports.

* **Keys**: the same API keys as intake (`Authorization: Bearer sk_…`). `finance` (and `admin`) set budgets,
  read payouts and reports; `admin` cancels awards and records clawbacks.
* **Money** is a decimal string (`"500000.00"`), never a float.
* **Errors** share one shape: `{"error": {"code", "message_en", "message_zh", "fields": [...]}}`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    if not isinstance(settings, PayoutSettings):  # plain shared settings: the payout ones from the environment
        settings = PayoutSettings(**(settings.model_dump() if settings else {"service_name": "payout"}))
    wiring = bootstrap(settings, metadata)
    # Built first: without LEDGER_KEY payout refuses to start rather than fail on its first award.
    ctx = Context.of(wiring)
    published = policy_versions.replica(wiring, published_policy_versions)
    runtime = Runtime(
        wiring,
        handlers=handlers(ctx, published.handlers),
        workers=[
            batcher(
                wiring.sessions,
                ctx,
                wiring.listener,
                interval_s=settings.payout_batch_interval_s,
                poll_s=settings.payout_batch_poll_s,
                max_payouts=settings.payout_batch_max,
            ),
            published.follow,
            anchor.publisher(wiring.sessions, ctx, wiring.listener, settings.ledger_head_interval_s),
        ],
        resources=[published.load],
    )

    def configure(app: FastAPI) -> None:
        app.state.ctx = ctx
        app.state.keys = KeyRing(replica_lookup(wiring.sessions, api_keys))
        app.state.limiter = RateLimiter()
        app.description = DESCRIPTION
        api_errors.install(app)
        app.include_router(routes.router)
        docs.install(app, wiring.policy)

    return create_service_app(runtime, configure=configure, title="Chengdu blockchain subsidy — payout ledger")
