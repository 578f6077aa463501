"""A partner's HTTP server for tests: records every POST and answers with scripted statuses."""

import asyncio
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shared.stack import free_port
from tests.kafka_tools import eventually


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float
    query: str = ""
    client_host: str = ""


@dataclass
class Receiver:
    """A partner's HTTP server: records every POST and answers with the next scripted status."""

    port: int
    # Statuses, or (status, headers), answered in turn; then 200 for ever.
    answers: list[int | tuple[int, dict[str, str]]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    # While set, every answer waits until it is cleared: an endpoint that hangs.
    hold: asyncio.Event | None = None
    answered: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/subsidy"

    async def hook(self, request: Request) -> Response:
        self.received.append(
            Received(
                dict(request.headers),
                await request.body(),
                time.time(),
                request.url.query,
                request.client.host if request.client else "",
            )
        )
        answer = self.answers.pop(0) if self.answers else 200
        status, headers = answer if isinstance(answer, tuple) else (answer, {})
        while self.hold is not None and self.hold.is_set():
            await asyncio.sleep(0.02)
        self.answered += 1
        return Response(status_code=status, headers=headers)


@asynccontextmanager
async def _serve(r: Receiver):
    app = Starlette(routes=[Route("/hooks/subsidy", r.hook, methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=r.port, log_config=None, access_log=False, lifespan="off")
    )
    serving = asyncio.create_task(server.serve())
    await eventually(lambda: _now(server.started), timeout_s=10, interval_s=0.02)
    try:
        yield r
    finally:
        r.hold = None
        server.should_exit = True
        await serving


@pytest.fixture
async def receiver():
    async with _serve(Receiver(free_port())) as r:
        yield r


async def _now(value):
    return value
