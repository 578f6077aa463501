"""Who is calling, whether their role may do this, and whether they are within their rate."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.intake.api.errors import ApiError
from services.intake.partners import Caller

bearer = HTTPBearer(auto_error=False, scheme_name="ApiKey",
                    description="`Authorization: Bearer sk_…`, a key issued by `subsidy partners create`.")
ANY_ROLE = ("partner", "reviewer", "finance", "admin")


async def authorize(request: Request, *allowed: str) -> Caller:
    """The caller of this request, if its key is valid, its role allowed and its rate not exceeded.
    Routes use it through `role(...)`; the hot path calls it directly, leaving FastAPI nothing to solve."""
    credentials = await bearer(request)
    caller = credentials and await request.app.state.keys.caller(credentials.credentials)
    if not caller:
        raise ApiError(401, "unauthorized", "a valid API key is required (Authorization: Bearer sk_…)",
                       "需要有效的 API 密钥（Authorization: Bearer sk_…）", headers={"WWW-Authenticate": "Bearer"})
    if wait := request.app.state.limiter.retry_after(caller.partner_id, caller.requests_per_second):
        raise ApiError(429, "rate_limited", f"too many requests; retry after {wait} s",
                       f"请求过于频繁，请 {wait} 秒后重试", headers={"Retry-After": str(wait)})
    if caller.role not in allowed:
        raise ApiError(403, "forbidden", f"the {caller.role} role may not do this; needs {' or '.join(allowed)}",
                       f"角色 {caller.role} 无此权限，需要 {' 或 '.join(allowed)}")
    return caller


def role(*allowed: str):
    # Depending on `bearer` is what puts the security scheme in the OpenAPI document.
    async def check(request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
        return await authorize(request, *allowed)
    return Depends(check)


AnyCaller = Annotated[Caller, role(*ANY_ROLE)]
Submitter = Annotated[Caller, role("partner")]
Reader = Annotated[Caller, role("partner", "reviewer", "admin")]
