"""Wires the eligibility service: the events it decides on, the policy versions it owns (their
API, their publication, and the book its decisions are taken under), the search, on each version's
publication, for earlier applicants who could claim under it, and its key replica."""

from fastapi import FastAPI

from services.eligibility import matches, versions
from services.eligibility.api import checks as check_routes
from services.eligibility.api import versions as version_routes
from services.eligibility.handlers import handlers
from services.eligibility.tables import api_keys, metadata
from services.eligibility.versions import Lifecycle
from shared import api_errors
from shared.auth import KeyRing, replica_handlers, replica_lookup
from shared.bootstrap import bootstrap
from shared.messaging.consumer import merged
from shared.ratelimit import RateLimiter
from shared.service import Runtime
from shared.service import create_app as create_service_app
from shared.settings import Settings

DESCRIPTION = """\
Eligibility decides every application under the policy version in force on its date. Its API is the
policy officials': the policy's versions, drafted, approved by a second official and withdrawn.

* **Keys**: the same API keys as intake (`Authorization: Bearer sk_…`). `policy_admin` drafts,
  approves and withdraws; `policy_admin` and `admin` read.
* **Four eyes**: a version is approved by an official other than its drafter.
* **Before drafting**: `POST /v1/policy/checks` says whether a text could be drafted (each problem by
  its TOML key) and what it changes; `POST /v1/policy/whatif` replays the stored decisions under it.
  Nothing is stored. `policy_admin` and `admin` may.
* **No restart**: an approved version reaches every service's policy book within seconds; a
  withdrawn one leaves it. A version's id stands for one text for ever.
* **Errors** share one shape: `{"error": {"code", "message_en", "message_zh", "fields": [...]}}`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    wiring = bootstrap(settings or Settings(service_name="eligibility"), metadata)
    lifecycle = Lifecycle.of(wiring)
    decide, follow_awards = handlers(wiring, lifecycle.published)
    runtime = Runtime(
        wiring,
        handlers={
            # The key replica's few events need no group of their own (whose fetches would keep an
            # idle broker busy).
            "eligibility-decisions": merged(decide, replica_handlers(api_keys)),
            "eligibility-grants": follow_awards,
            # Its own group: a search for earlier applicants' matches holds up no decision.
            "eligibility-matches": matches.handlers(lifecycle),
        },
        # Its approved versions are in its book before it decides anything, and announced again to
        # every service (a broker may have started empty); then the book follows its table.
        resources=[lifecycle.published.loaded(wiring.sessions), versions.announced(wiring.sessions, lifecycle)],
        workers=[lifecycle.published.follower(wiring.sessions, wiring.listener)],
    )

    def configure(app: FastAPI) -> None:
        app.state.ctx = lifecycle
        app.state.keys = KeyRing(replica_lookup(wiring.sessions, api_keys))
        app.state.limiter = RateLimiter()
        app.description = DESCRIPTION
        api_errors.install(app)
        app.include_router(version_routes.router)
        app.include_router(check_routes.router)

    return create_service_app(
        runtime, configure=configure, title="Chengdu blockchain subsidy — eligibility and policy versions"
    )
