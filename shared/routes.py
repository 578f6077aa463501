"""What the routes of a service with a `ctx` share: one transaction per call; the events it owes
go out once it commits.

A call whose transaction PostgreSQL chose as a deadlock's victim, or refused for a serialization
conflict, left nothing behind: it is run again from the start, a few times, before its caller is
told the service is busy (503). A person cancelling an award while the bank's answer for it is
being booked should see the one outcome, not a 500."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from shared.bootstrap import Wiring
from shared.messaging.faults import lost_a_race
from shared.policy.book import PolicyBook

ATTEMPTS = 4


async def act(request: Request, operation: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
    """Runs `operation(session, ctx, …)` in its own transaction."""
    return await _in_transaction(request, operation, request.app.state.ctx, *args, **kwargs)


async def read(request: Request, query: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
    """Runs `query(session, …)` in a transaction of its own."""
    return await _in_transaction(request, query, *args, **kwargs)


async def _in_transaction(request: Request, work: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
    sessions = wiring(request).sessions
    for attempt in range(1, ATTEMPTS + 1):
        try:
            async with sessions.begin() as session:
                return await work(session, *args, **kwargs)
        except Exception as e:
            if attempt == ATTEMPTS or not lost_a_race(e):
                raise
    raise AssertionError("unreachable: the last attempt returns or raises")


def wiring(request: Request) -> Wiring:
    """The process's adapters, as its composition root built them."""
    return request.app.state.runtime.wiring  # type: ignore[no-any-return]


def policy_book(request: Request) -> PolicyBook:
    """The policy book the process works with now (one per request)."""
    return wiring(request).policy.book


WiringDep = Annotated[Wiring, Depends(wiring)]
Book = Annotated[PolicyBook, Depends(policy_book)]
