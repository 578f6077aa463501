"""What the routes of a service with a `ctx` share: one transaction per call; the events it owes
go out once it commits."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from shared.bootstrap import Wiring
from shared.policy.book import PolicyBook


async def act(request: Request, operation: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
    """Runs `operation(session, ctx, …)` in its own transaction."""
    async with wiring(request).sessions.begin() as session:
        return await operation(session, request.app.state.ctx, *args, **kwargs)


async def read(request: Request, query: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
    """Runs `query(session, …)` in a transaction of its own."""
    async with wiring(request).sessions.begin() as session:
        return await query(session, *args, **kwargs)


def wiring(request: Request) -> Wiring:
    """The process's adapters, as its composition root built them."""
    return request.app.state.runtime.wiring  # type: ignore[no-any-return]


def policy_book(request: Request) -> PolicyBook:
    """The policy book the process works with now (one per request)."""
    return wiring(request).policy.book


WiringDep = Annotated[Wiring, Depends(wiring)]
Book = Annotated[PolicyBook, Depends(policy_book)]
