"""What every service process is: an HTTP app (health, readiness, metrics, its own routes),
its consumers, its outbox relay and its own long-running workers, each kept alive by a keeper
and started and stopped with the app's lifespan.

Nothing connects at import time: `shared.bootstrap` builds the adapters, `Runtime.start` opens
the clients.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import orjson
from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import api_errors, storable, tracing
from shared.admin import admin_server
from shared.bootstrap import Wiring
from shared.messaging import kafka
from shared.messaging.consumer import Backoff, ConsumerRunner, Handlers, bounded
from shared.messaging.faults import describe, is_transient
from shared.messaging.outbox import OutboxRelay
from shared.observability import HTTP_DURATION, HTTP_REQUESTS, configure_logging, correlation_id
from shared.retention import Pruner, Rule, messaging_rules
from shared.settings import Settings

log = logging.getLogger(__name__)
STALL_LIMIT = timedelta(seconds=60)
STOP_WITHIN_S = 10.0


@dataclass
class Loop:
    """A long-running task of the process, kept alive by `keep`."""

    name: str
    run: Callable[[], Awaitable[None]]
    progress: Callable[[], datetime] | None = None  # when it last did something, if it can tell
    task: asyncio.Task[object] | None = field(default=None, repr=False)  # once started
    restarts: int = 0
    failing_since: datetime | None = None  # set while it keeps failing for what is not an outage
    last_error: str | None = None

    def running(self) -> bool:
        return self.task is not None and not self.task.done()


async def keep(loop: Loop, new_backoff: Callable[[], Backoff] = lambda: Backoff(first_s=0.5, max_s=30)) -> None:
    """Runs the loop for ever: when it fails it is logged and started again after a backoff.

    An outage of the database or the broker is logged on one line, anything else with its traceback.
    """
    backoff = new_backoff()
    while True:
        started = datetime.now(UTC)
        try:
            await loop.run()
            error: Exception = RuntimeError("returned, which a loop never should")
        except Exception as e:  # cancellation and BaseExceptions end the task, as they must
            error = e
        now = datetime.now(UTC)
        if now - started > STALL_LIMIT:
            backoff, loop.failing_since = new_backoff(), None  # it had run well: start over
        loop.restarts += 1
        loop.last_error = describe(error)
        if is_transient(error):
            log.warning("%s stopped (%s); restarting", loop.name, loop.last_error)
        else:
            loop.failing_since = loop.failing_since or now
            log.error("%s failed; restarting", loop.name, exc_info=error)
        await asyncio.sleep(backoff.next())


@dataclass
class Runtime:
    """Runs one service process's loops around the adapters its composition root built."""

    wiring: Wiring
    handlers: Mapping[str, Handlers] = field(default_factory=dict)  # group → handlers
    workers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)  # long-running loops
    resources: list[Callable[[], AbstractAsyncContextManager[object]]] = field(default_factory=list)  # held open
    # What the service keeps only for a while, beside its inbox and outbox (shared/retention.py).
    retention: list[Rule] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.relay: OutboxRelay | None = None
        self.loops: list[Loop] = []

    @property
    def name(self) -> str:
        return self.wiring.service

    @property
    def settings(self) -> Settings:
        return self.wiring.settings

    async def start(self) -> None:
        s, w = self.settings, self.wiring
        self._held = AsyncExitStack()
        for resource in self.resources:
            await self._held.enter_async_context(resource())
        self.producer = kafka.producer(s)
        await kafka.wait_for_broker(s.brokers)
        await self.producer.start()
        self.relay = relay = OutboxRelay(
            w.engine,
            w.publisher.table,
            self.producer,
            send_timeout_s=s.kafka_send_timeout_s,
            poll_interval_s=s.outbox_poll_interval_s,
        )
        w.publisher.on_written(relay.wake)
        w.publisher.announces = False  # its relay is woken here, and tells the others itself
        w.listener.subscribe(relay.channel, relay.notified)
        self.runners = [
            ConsumerRunner(
                group=group,
                new_consumer=partial(kafka.consumer, s, group),
                sessions=w.sessions,
                inbox=w.metadata.tables[f"{w.metadata.schema}.inbox"],
                handlers=handlers,
                max_attempts=s.consumer_max_attempts,
                fetch_wait_ms=(s.kafka_fetch_max_wait_ms, s.kafka_idle_fetch_max_wait_ms),
            )
            for group, handlers in self.handlers.items()
        ]
        self.loops = [Loop(f"{self.name}-relay", relay.run, lambda: relay.last_progress)]
        self.loops.append(Loop(f"{self.name}-listener", w.listener.run))
        self.loops += [Loop(r.group, r.run, partial(getattr, r, "last_progress")) for r in self.runners]
        self.loops += [Loop(work.__name__, work) for work in self.workers]
        self.pruner = Pruner(
            w.engine,
            str(w.metadata.schema),
            messaging_rules(w.metadata, s) + self.retention,
            interval_s=s.retention_interval_s,
            batch=s.retention_batch_size,
            pause_s=s.retention_pause_s,
        )
        # No progress to report: it sleeps most of the time, and a failure restarts it.
        self.loops.append(Loop(f"{self.name}-retention", self.pruner.run))
        for loop in self.loops:
            loop.task = asyncio.create_task(keep(loop), name=loop.name)

    async def stop(self) -> None:
        tasks = [loop.task for loop in self.loops if loop.task is not None]
        for task in tasks:
            task.cancel()
        # A loop that does not end when cancelled must not hold the process up for ever.
        _, stuck = await asyncio.wait(tasks, timeout=STOP_WITHIN_S) if tasks else (set(), set())
        if stuck:
            log.warning("stopping without waiting for %s", ", ".join(sorted(t.get_name() for t in stuck)))
        await bounded(self.producer.stop())
        await self._held.aclose()
        await self.wiring.engine.dispose()

    def unhealthy(self) -> str | None:
        """Why this process should be restarted, if it should: a loop ended, stopped moving, or
        keeps failing for something other than an outage."""
        now = datetime.now(UTC)
        for loop in self.loops:
            if not loop.running():
                return f"{loop.name} stopped"
            if loop.failing_since and now - loop.failing_since > STALL_LIMIT:
                return f"{loop.name} failing since {loop.failing_since.isoformat()}: {loop.last_error}"
            if loop.progress and now - loop.progress() > STALL_LIMIT:
                return f"{loop.name} made no progress since {loop.progress().isoformat()}"
        return None

    async def unready(self) -> str | None:
        """Which dependency is unreachable, if one is (its exception's text goes to the log only)."""
        try:
            async with self.wiring.engine.connect() as conn:
                await asyncio.wait_for(conn.execute(text("SELECT 1")), 2)
        except Exception as e:
            log.warning("readiness: database unreachable: %s", describe(e))
            return "database unreachable"
        try:
            await asyncio.wait_for(self.producer.client.fetch_all_metadata(), 2)
        except Exception as e:
            log.warning("readiness: broker unreachable: %s", describe(e))
            return "broker unreachable"
        return None


def create_app(
    runtime: Runtime,
    *,
    configure: Callable[[FastAPI], None] = lambda app: None,
    title: str | None = None,
    documented: bool = True,
) -> FastAPI:
    """The service's app. Building it opens and changes nothing (`services.topology` builds every
    service's to read its wiring); the lifespan configures logging and tracing and starts the runtime."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(runtime.name, runtime.settings.log_level)
        await runtime.start()
        async with admin_server(runtime):
            # What exists now lives as long as the process: keep the collector from rescanning it,
            # and collect young objects less often; requests allocate much and keep little.
            gc.freeze()
            gc.set_threshold(20_000, 50, 1000)
            log.info("%s started", runtime.name)
            yield
        await runtime.stop()

    app = FastAPI(
        title=title or f"subsidy {runtime.name}",
        lifespan=lifespan,
        dependencies=[Depends(storable.refuse_unstorable)],
        # A service without an API of its own publishes no document, rather than one with no paths.
        openapi_url="/openapi.json" if documented else None,
    )
    app.state.runtime = runtime

    app.add_middleware(ObservedRequests, service=runtime.name)
    tracing.configure(runtime.name, runtime.settings)  # before the first request: FastAPI's spans follow it

    @app.exception_handler(ClientDisconnect)
    async def client_gone(request: Request, _: ClientDisconnect) -> Response:
        # Nobody is left to answer: one quiet line, not an error with a traceback.
        log.info("client disconnected during %s %s", request.method, request.url.path)
        return Response(status_code=499)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        problem = runtime.unhealthy()
        return JSONResponse({"status": problem or "ok"}, status_code=503 if problem else 200)

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        problem = await runtime.unready()
        return JSONResponse({"status": problem or "ready"}, status_code=503 if problem else 200)

    configure(app)
    _document_the_edge(app)
    return app


def _document_the_edge(app: FastAPI) -> None:
    """Whatever builds the app's document (FastAPI's, or a service's own from its policy book), the
    rules every service shares are stated in it: the common errors and the text that can be stored.
    A document built from the policy book describes the book in use: a version published or
    withdrawn at run time makes it anew."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if not getattr(app.state, "edge_documented", False):
            app.openapi_schema = storable.document(api_errors.document_errors(build()))
            app.state.edge_documented = True
        return app.openapi_schema or build()

    def forget(_: object) -> None:
        app.openapi_schema = None
        app.state.edge_documented = False

    app.openapi = openapi  # type: ignore[method-assign]
    app.state.runtime.wiring.policy.on_replace(forget)


INTERNAL_ERROR = orjson.dumps(
    {
        "error": {
            "code": "internal_error",
            "message_en": "the service could not answer this request; quote its X-Correlation-Id when you report it",
            "message_zh": "服务内部错误；请在反馈时提供 X-Correlation-Id 响应头",
            "fields": [],
        }
    }
)

UNAVAILABLE = orjson.dumps(
    {
        "error": {
            "code": "unavailable",
            "message_en": "the service is busy or its database is away for a moment; try again after Retry-After",
            "message_zh": "服务繁忙或数据库暂不可用；请在 Retry-After 秒后重试",
            "fields": [],
        }
    }
)


class ObservedRequests:
    """Every request gets a correlation id (the caller's `X-Correlation-Id`, or a new one) that
    its logs and the events it causes carry, and is counted by status class and timed. Plain ASGI
    with the metric children resolved once: it costs next to nothing per request."""

    def __init__(self, app: ASGIApp, service: str):
        self.app = app
        self._answered = {
            status_class: HTTP_REQUESTS.labels(service, f"{status_class}xx") for status_class in range(1, 6)
        }
        self._duration = HTTP_DURATION.labels(service)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        given = dict(scope["headers"]).get(b"x-correlation-id")
        cid = given.decode("latin-1")[:100] if given else str(uuid.uuid4())
        token = correlation_id.set(cid)
        status = 500  # what the server answers when the app fails before it answered

        started_answer = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_answer
            if message["type"] == "http.response.start":
                status, started_answer = message["status"], True
                message["headers"] = [*message.get("headers", []), (b"x-correlation-id", cid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as error:
            # Whatever escaped every handler is logged once, with its correlation id, and answered
            # in the documented shape; the server's own plain-text 500 would carry neither. The
            # database or broker away or busy is not the caller's fault nor a bug: 503, try again.
            busy = is_transient(error)
            if busy:
                log.warning("%s %s: %s", scope["method"], scope["path"], describe(error))
            else:
                log.exception("%s %s failed", scope["method"], scope["path"])
            if status == 500 and not started_answer:
                headers = [(b"content-type", b"application/json")] + ([(b"retry-after", b"1")] if busy else [])
                await send_with_id({"type": "http.response.start", "status": 503 if busy else 500, "headers": headers})
                await send({"type": "http.response.body", "body": UNAVAILABLE if busy else INTERNAL_ERROR})
        finally:
            correlation_id.reset(token)
            self._answered.get(status // 100, self._answered[5]).inc()
            self._duration.observe(time.perf_counter() - started)
