"""Wires the quota service: its tables and clock, the events it follows, its background loop, the
officials' API and the public notice."""

from fastapi import FastAPI

from services.quota.api import docs, officials, public
from services.quota.context import Context
from services.quota.handlers import handlers
from services.quota.settings import QuotaSettings
from services.quota.tables import api_keys, metadata, published_policy_versions
from services.quota.worker import round_keeper
from shared import api_errors, policy_versions
from shared.auth import KeyRing, replica_lookup
from shared.bootstrap import bootstrap
from shared.ratelimit import RateLimiter
from shared.service import Runtime
from shared.service import create_app as create_service_app
from shared.settings import Settings

DESCRIPTION = """\
Annual selections under Chengdu's blockchain-pilot policy: rounds, review panels, ranking, the public
notice (公示) with objections, and results.

* **Keys**: the same API keys as intake (`Authorization: Bearer sk_…`). `admin` runs rounds and decides
  objections; `reviewer` scores candidates of the rounds whose panel they sit on.
* **Public, no key**: `GET /v1/notices`, `POST /v1/notices/{clause}/{year}/objections`, and the page `/notices`.
* **Lifecycle**: open → closed → in_review → ranked → in_notice → concluded; every other move is refused (409).
* **Errors** share one shape: `{"error": {"code", "message_en", "message_zh", "fields": [...]}}`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    if not isinstance(settings, QuotaSettings):  # plain shared settings: the quota ones from the environment
        settings = QuotaSettings(**(settings.model_dump() if settings else {"service_name": "quota"}))
    wiring = bootstrap(settings, metadata)
    ctx = Context(wiring.clock, wiring.publisher, wiring.policy)
    published = policy_versions.replica(wiring, published_policy_versions)
    runtime = Runtime(
        wiring,
        handlers=handlers(ctx, published.handlers),
        workers=[round_keeper(wiring.sessions, ctx, settings.quota_tick_s), published.follow],
        resources=[published.load],
    )

    def configure(app: FastAPI) -> None:
        app.state.ctx = ctx
        app.state.keys = KeyRing(replica_lookup(wiring.sessions, api_keys))
        app.state.limiter = RateLimiter()
        app.state.public_rate = settings.quota_public_rate
        app.description = DESCRIPTION
        api_errors.install(app)
        app.include_router(officials.router)
        app.include_router(public.router)
        docs.install(app, wiring.policy, wiring.clock)

    return create_service_app(
        runtime, configure=configure, title="Chengdu blockchain subsidy — annual selections (quota)"
    )
