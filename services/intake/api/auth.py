"""Who is calling, whether their role may do this, and whether they are within their rate."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.intake.api.errors import ApiError
from services.intake.partners import Caller

bearer = HTTPBearer(auto_error=False, scheme_name="ApiKey",
                    description="`Authorization: Bearer sk_…`, a key issued by `subsidy partners create`.")


async def authenticate(request: Request,
                       credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    caller = credentials and await request.app.state.keys.caller(credentials.credentials)
    if not caller:
        raise ApiError(401, "unauthorized", "a valid API key is required (Authorization: Bearer sk_…)",
                       "需要有效的 API 密钥（Authorization: Bearer sk_…）", headers={"WWW-Authenticate": "Bearer"})
    if wait := request.app.state.limiter.retry_after(caller.partner_id, caller.requests_per_second):
        raise ApiError(429, "rate_limited", f"too many requests; retry after {wait} s",
                       f"请求过于频繁，请 {wait} 秒后重试", headers={"Retry-After": str(wait)})
    return caller


def role(*allowed: str):
    async def check(request: Request,
                    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
        caller = await authenticate(request, credentials)
        if caller.role not in allowed:
            raise ApiError(403, "forbidden", f"the {caller.role} role may not do this; needs {' or '.join(allowed)}",
                           f"角色 {caller.role} 无此权限，需要 {' 或 '.join(allowed)}")
        return caller
    return Depends(check)


AnyCaller = Annotated[Caller, Depends(authenticate)]
Submitter = Annotated[Caller, role("partner")]
Reader = Annotated[Caller, role("partner", "reviewer", "admin")]


async def authorize(request: Request, *allowed: str) -> Caller:
    """The same checks as `role(...)`, called from inside a route: FastAPI then has no dependency
    to solve, which matters on the hot path."""
    credentials = await bearer(request)
    caller = await authenticate(request, credentials)
    if caller.role not in allowed:
        raise ApiError(403, "forbidden", f"the {caller.role} role may not do this; needs {' or '.join(allowed)}",
                       f"角色 {caller.role} 无此权限，需要 {' 或 '.join(allowed)}")
    return caller
