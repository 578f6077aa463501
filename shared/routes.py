"""What the routes of a service with a `ctx` share: one transaction per call, the events it owes
sent right after the commit."""

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request


async def act(request: Request, operation: Callable[..., Awaitable[Any]], *args, **kwargs) -> Any:
    """Runs `operation(session, ctx, …)` in its own transaction and wakes the relay for what it owes."""
    runtime = request.app.state.runtime
    async with runtime.sessions.begin() as session:
        result = await operation(session, request.app.state.ctx, *args, **kwargs)
    runtime.relay.wake()
    return result


async def read(request: Request, query: Callable[..., Awaitable[Any]], *args, **kwargs) -> Any:
    """Runs `query(session, …)` in a transaction of its own."""
    async with request.app.state.runtime.sessions.begin() as session:
        return await query(session, *args, **kwargs)
