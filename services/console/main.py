"""Wires the console: its tables and sessions, the other services' APIs it calls, its pages."""

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from services.console import replays, sessions
from services.console.rules import Expiry, SignInLimit
from services.console.sessions import Limits
from services.console.settings import ConsoleSettings
from services.console.tables import metadata, published_policy_versions
from services.console.upstream import Upstream
from services.console.web import applications, auth, corrections, errors, operations, payouts, policy, rounds
from services.console.web.deps import Console
from services.console.web.headers import SecurityHeaders
from services.console.web.render import Pages, environment
from shared import policy_versions
from shared.bootstrap import bootstrap
from shared.secretbox import SecretBox
from shared.service import Runtime
from shared.service import create_app as create_service_app
from shared.settings import Settings

STATIC = Path(__file__).resolve().parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    if not isinstance(settings, ConsoleSettings):
        settings = ConsoleSettings(**(settings.model_dump() if settings else {"service_name": "console"}))
    wiring = bootstrap(settings, metadata)
    box = SecretBox.from_settings(settings)  # no SECRETS_KEY, no console: it could not open the officials' keys
    upstream = Upstream(settings)
    expiry = Expiry(
        idle=timedelta(minutes=settings.console_session_idle_minutes),
        absolute=timedelta(hours=settings.console_session_absolute_hours),
    )
    window = timedelta(seconds=settings.console_signin_window_s)
    limits = Limits(
        SignInLimit(settings.console_signin_failures_per_account, window),
        SignInLimit(settings.console_signin_failures_per_address, window),
    )
    published = policy_versions.replica(wiring, published_policy_versions)
    runtime = Runtime(
        wiring,
        handlers={"console-policy": published.handlers},
        workers=[published.follow],
        resources=[published.load, upstream.open],
        retention=[
            *sessions.retention(expiry, window),
            *replays.retention(timedelta(days=settings.inbox_retention_days)),
        ],
    )

    def configure(app: FastAPI) -> None:
        app.state.console = Console(
            settings, wiring.sessions, box, upstream, Pages(environment()), expiry, limits, wiring.policy
        )
        # Pages, not an API: no OpenAPI document, no docs pages (which would load scripts from elsewhere).
        app.router.routes[:] = [
            r
            for r in app.router.routes
            if getattr(r, "path", "") not in ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")
        ]
        app.openapi_url = app.docs_url = app.redoc_url = None
        app.add_middleware(SecurityHeaders)
        app.mount("/static", StaticFiles(directory=STATIC), name="static")
        errors.install(app)
        for module in (auth, applications, rounds, payouts, corrections, policy, operations):
            app.include_router(module.router)

    return create_service_app(runtime, configure=configure, title="Chengdu blockchain subsidy — operator console")
