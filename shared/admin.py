"""The operators' port of a service: metrics and the state of its loops, kept off the public API.

It listens on ADMIN_HOST:ADMIN_PORT (localhost, the API's port + 1000, by default). Every worker
process of a service binds it with SO_REUSEPORT, so `HTTP_WORKERS` > 1 works.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shared import http_server
from shared.observability import exposition

if TYPE_CHECKING:
    from shared.service import Runtime


def admin_app(runtime: Runtime) -> Starlette:
    async def metrics(_: Request) -> Response:
        body, content_type = exposition()  # every worker's, when the service runs several
        return Response(body, media_type=content_type)

    async def loops(_: Request) -> JSONResponse:
        now = datetime.now(UTC)
        return JSONResponse(
            {
                "status": runtime.unhealthy() or "ok",
                "loops": [
                    {
                        "name": loop.name,
                        "running": loop.running(),
                        "restarts": loop.restarts,
                        "last_error": loop.last_error,
                        "seconds_since_progress": round((now - loop.progress()).total_seconds(), 1)
                        if loop.progress
                        else None,
                    }
                    for loop in runtime.loops
                ],
            }
        )

    return Starlette(routes=[Route("/metrics", metrics), Route("/loops", loops)])


@asynccontextmanager
async def admin_server(runtime: Runtime) -> AsyncIterator[None]:
    """Serves the admin app for as long as the context is open."""
    s = runtime.settings
    sock = socket.socket(socket.AF_INET6 if ":" in s.admin_host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((s.admin_host, s.admin_port_in_use))
    server = http_server.Server(uvicorn.Config(admin_app(runtime), log_config=None, access_log=False, lifespan="off"))
    serving = asyncio.create_task(server.serve(sockets=[sock]), name=f"{runtime.name}-admin")
    try:
        yield
    finally:
        server.exit()
        await asyncio.gather(serving, return_exceptions=True)
        sock.close()
