"""What every service process is: an HTTP app (health, readiness, metrics, its own routes),
its consumers and its outbox relay, started and stopped with the app's lifespan.

Nothing connects at import time; `Runtime.start` opens every client.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncSession

from shared import db
from shared.messaging import kafka, outbox
from shared.messaging.consumer import ConsumerRunner, Handler
from shared.messaging.envelope import Envelope
from shared.messaging.outbox import OutboxRelay
from shared.messaging.payloads import Payload, payload_type
from shared.observability import configure_logging, correlation_id
from shared.settings import Settings

log = logging.getLogger(__name__)
STALL_LIMIT = timedelta(seconds=60)


@dataclass
class Runtime:
    """The adapters of one service process, wired once."""

    name: str
    settings: Settings
    metadata: MetaData
    handlers: dict[str, dict[type[Payload], Handler]] = field(default_factory=dict)  # group → handlers
    workers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)  # long-running loops
    resources: list[Callable[[], AbstractAsyncContextManager]] = field(default_factory=list)  # held open

    def __post_init__(self) -> None:
        # An engine connects lazily: creating it here opens nothing.
        self.engine = db.create_engine(self.settings.sqlalchemy_url, self.metadata.schema)
        self.sessions = db.sessions(self.engine)

    async def start(self) -> None:
        s = self.settings
        self._held = AsyncExitStack()
        for resource in self.resources:
            await self._held.enter_async_context(resource())
        self.producer = kafka.producer(s)
        await kafka.wait_for_broker(s.kafka_bootstrap_servers)
        await self.producer.start()
        self.relay = OutboxRelay(self.engine, self.metadata.tables[f"{self.metadata.schema}.outbox"],
                                 self.producer, send_timeout_s=s.kafka_send_timeout_s,
                                 poll_interval_s=s.outbox_poll_interval_s)
        self.runners = [
            ConsumerRunner(group=group, consumer=kafka.consumer(s, group), producer=self.producer,
                           sessions=self.sessions, inbox=self.metadata.tables[f"{self.metadata.schema}.inbox"],
                           handlers=handlers, max_attempts=s.consumer_max_attempts,
                           send_timeout_s=s.kafka_send_timeout_s, after_commit=self.relay.wake)
            for group, handlers in self.handlers.items()
        ]
        for runner in self.runners:
            await runner.start()
        self.tasks = [asyncio.create_task(self.relay.run(), name=f"{self.name}-relay")] + [
            asyncio.create_task(r.run(), name=r.group) for r in self.runners] + [
            asyncio.create_task(work(), name=work.__name__) for work in self.workers]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for runner in self.runners:
            await _bounded(runner.stop())
        await _bounded(self.producer.stop())
        await self._held.aclose()
        await self.engine.dispose()

    async def publish(self, session: AsyncSession, *events: Envelope) -> None:
        """Owes these events in the caller's transaction; they go out after it commits."""
        for event in events:
            await outbox.add(session, self.metadata.tables[f"{self.metadata.schema}.outbox"],
                             payload_type(event.type).topic, event)

    def event(self, payload: Payload, *, key: str, subject: str, cause: Envelope | None = None) -> Envelope:
        return Envelope.of(payload, source=f"/subsidy/{self.name}", key=key, subject=subject,
                           cause=cause, correlation_id=correlation_id.get())

    def unhealthy(self) -> str | None:
        """Why this process should be restarted, if it should: a loop died or stopped moving."""
        now = datetime.now(UTC)
        for task in self.tasks:
            if task.done():
                return f"{task.get_name()} stopped"
        for runner in self.runners:
            if now - runner.last_progress > STALL_LIMIT:
                return f"{runner.group} made no progress since {runner.last_progress.isoformat()}"
        return None

    async def unready(self) -> str | None:
        try:
            async with self.engine.connect() as conn:
                await asyncio.wait_for(conn.execute(text("SELECT 1")), 2)
        except Exception as e:
            return f"database unreachable: {e!r}"
        try:
            await asyncio.wait_for(self.producer.client.fetch_all_metadata(), 2)
        except Exception as e:
            return f"broker unreachable: {e!r}"
        return None


async def _bounded(aw, timeout_s: float = 5) -> None:
    # aiokafka's stop() can hang when the broker is away.
    try:
        await asyncio.wait_for(aw, timeout_s)
    except Exception as e:
        log.warning("shutdown step did not finish: %r", e)


def create_app(runtime: Runtime, *, configure: Callable[[FastAPI], None] = lambda app: None,
               title: str | None = None) -> FastAPI:
    configure_logging(runtime.name, runtime.settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        # What exists now lives as long as the process: keep the collector from rescanning it,
        # and collect young objects less often; requests allocate much and keep little.
        gc.freeze()
        gc.set_threshold(20_000, 50, 1000)
        log.info("%s started", runtime.name)
        yield
        await runtime.stop()

    app = FastAPI(title=title or f"subsidy {runtime.name}", lifespan=lifespan)
    app.state.runtime = runtime

    app.add_middleware(CorrelationMiddleware)

    @app.get("/healthz", include_in_schema=False)
    async def healthz():
        problem = runtime.unhealthy()
        return JSONResponse({"status": problem or "ok"}, status_code=503 if problem else 200)

    @app.get("/readyz", include_in_schema=False)
    async def readyz():
        problem = await runtime.unready()
        return JSONResponse({"status": problem or "ready"}, status_code=503 if problem else 200)

    @app.get("/metrics", include_in_schema=False)
    async def metrics():
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    configure(app)
    return app


class CorrelationMiddleware:
    """Every request gets a correlation id (the caller's `X-Correlation-Id`, or a new one) that
    its logs and the events it causes carry. Plain ASGI: it costs next to nothing per request."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = dict(scope["headers"]).get(b"x-correlation-id")
        cid = given.decode("latin-1")[:100] if given else str(uuid.uuid4())
        token = correlation_id.set(cid)

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-correlation-id", cid.encode())]
            await send(message)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            correlation_id.reset(token)
