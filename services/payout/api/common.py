"""What every payout route shares: the roles, one transaction per call, errors in the shared shape."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import FastAPI, Request

from services.payout.context import Refusal
from shared.api_errors import json_response
from shared.auth import Caller, role

Admin = Annotated[Caller, role("admin")]
Finance = Annotated[Caller, role("finance", "admin")]


async def act(request: Request, operation: Callable[..., Awaitable[Any]], *args, **kwargs) -> Any:
    """Runs one operation in its own transaction; the events it owes go out right after the commit."""
    runtime = request.app.state.runtime
    async with runtime.sessions.begin() as session:
        result = await operation(session, request.app.state.ctx, *args, **kwargs)
    runtime.relay.wake()
    return result


async def read(request: Request, query: Callable[..., Awaitable[Any]], *args, **kwargs) -> Any:
    async with request.app.state.runtime.sessions.begin() as session:
        return await query(session, *args, **kwargs)


def install(app: FastAPI) -> None:
    @app.exception_handler(Refusal)
    async def refused(_: Request, e: Refusal):
        return json_response({"error": {"code": e.code, "message_en": e.message_en, "message_zh": e.message_zh,
                                        "fields": []}}, status_code=e.status)
