"""A partner's HTTP server for tests: records every POST and answers with scripted statuses."""

import asyncio
import time
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


@dataclass
class Receiver:
    """A partner's HTTP server: records every POST and answers with the next scripted status."""
    port: int
    answers: list[int] = field(default_factory=list)  # then 200 for ever
    received: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/subsidy"

    async def hook(self, request: Request) -> Response:
        self.received.append(Received(dict(request.headers), await request.body(), time.time()))
        return Response(status_code=self.answers.pop(0) if self.answers else 200)


@pytest.fixture
async def receiver():
    r = Receiver(free_port())
    app = Starlette(routes=[Route("/hooks/subsidy", r.hook, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=r.port, log_config=None,
                                           access_log=False, lifespan="off"))
    serving = asyncio.create_task(server.serve())
    await eventually(lambda: _now(server.started), timeout_s=10, interval_s=0.02)
    yield r
    server.should_exit = True
    await serving




async def _now(value):
    return value
