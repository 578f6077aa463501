"""The partners' endpoints for bench/webhooks.py: `POST /e/{n}` answers 200 at once, or after 2 s
for the endpoints listed in BENCH_SLOW (comma-separated numbers).

Run as `uvicorn bench.webhook_receiver:app`.
"""

import asyncio
import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

SLOW = {int(n) for n in os.environ.get("BENCH_SLOW", "").split(",") if n}
SLOW_S = 2.0


async def endpoint(request: Request) -> Response:
    await request.body()
    if int(request.path_params["n"]) in SLOW:
        await asyncio.sleep(SLOW_S)
    return Response(status_code=200)


app = Starlette(routes=[Route("/e/{n}", endpoint, methods=["POST"])])
