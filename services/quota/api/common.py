"""What every quota route shares: the roles, one transaction per call, errors in the shared shape."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import FastAPI, Request
from sqlalchemy.exc import IntegrityError

from services.quota.domain.lifecycle import RuleBroken
from shared.api_errors import json_response
from shared.auth import Caller, role

Admin = Annotated[Caller, role("admin")]
Reviewer = Annotated[Caller, role("reviewer")]
Official = Annotated[Caller, role("admin", "reviewer")]


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
    @app.exception_handler(RuleBroken)
    async def rule_broken(_: Request, e: RuleBroken):
        return json_response({"error": {"code": e.code, "message_en": e.message_en, "message_zh": e.message_zh,
                                        "fields": e.fields}}, status_code=e.status)

    @app.exception_handler(IntegrityError)
    async def integrity(_: Request, e: IntegrityError):
        # Two calls raced for the same thing and the database kept one: say so, never pretend.
        constraint = getattr(getattr(e.orig, "__cause__", None), "constraint_name", None) or "a constraint"
        return json_response({"error": {
            "code": "conflict", "message_en": f"refused by {constraint}: another change got there first; "
                                              "read the current state and try again",
            "message_zh": "与其他同时进行的操作冲突，请刷新后重试", "fields": []}}, status_code=409)
