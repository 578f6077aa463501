"""Signing in and out. A failed sign-in says nothing of whether the account exists; failures are
limited per account name and per client address (429 with Retry-After past the limit)."""

import re
from typing import Literal, TypedDict

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.console import accounts, sessions
from services.console.rules import csrf_matches, new_token
from services.console.web.deps import (
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    Anyone,
    CsrfRefused,
    console,
    current,
    form,
    read_form,
)

router = APIRouter()
SAFE_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9/_\-.?=&%:+~]*")


class CookieFlags(TypedDict):
    secure: bool
    httponly: bool
    samesite: Literal["lax", "strict", "none"]
    path: str


COOKIE: CookieFlags = {"secure": True, "httponly": True, "samesite": "strict", "path": "/"}


def _safe_next(target: str | None) -> str:
    """Only a path of this site: never another origin (//host, /\\host, a scheme, control
    characters that browsers strip to make one)."""
    if not target or not SAFE_PATH.fullmatch(target):
        return "/"
    return target


def _signin_page(
    request: Request,
    *,
    status: int = 200,
    problem: tuple[str, str] | None = None,
    name: str = "",
    next_path: str = "/",
    headers: dict | None = None,
) -> Response:
    token = new_token()
    response = console(request).pages.render(
        request,
        "signin.html",
        status=status,
        headers=headers,
        signin_token=token,
        problem=problem,
        name=name,
        next_path=next_path,
    )
    response.set_cookie(SIGNIN_COOKIE, token, max_age=3600, **COOKIE)
    return response


@router.get("/signin")
async def signin_form(request: Request, next: str = "/") -> Response:
    if await current(request):
        return RedirectResponse(_safe_next(next), status_code=303)
    return _signin_page(request, next_path=_safe_next(next))


WRONG = ("账户名或密码错误。", "Wrong account name or password.")


@router.post("/signin")
async def signin(request: Request) -> Response:
    c = console(request)
    fields = {k: v[0] for k, v in (await read_form(request)).items()}
    if not csrf_matches(request.cookies.get(SIGNIN_COOKIE), fields.get("signin_token")):
        raise CsrfRefused()
    name = accounts.normalise_name(fields.get("name", ""))[:100]
    password = fields.get("password", "")
    next_path = _safe_next(fields.get("next"))
    address = request.client.host if request.client else "unknown"
    if wait := await sessions.wait_needed(c.db, c.limits, name, address):
        minutes = max(1, (wait + 59) // 60)
        return _signin_page(
            request,
            status=429,
            headers={"Retry-After": str(wait)},
            name=name,
            next_path=next_path,
            problem=(
                f"登录失败次数过多，请 {minutes} 分钟后再试。",
                f"Too many failed sign-ins; try again in {minutes} minute(s).",
            ),
        )
    account = await accounts.verify(c.db, name, password) if name and password else None
    if account is None:
        await sessions.failed(c.db, name, address)
        return _signin_page(request, status=401, problem=WRONG, name=name, next_path=next_path)
    await sessions.succeeded(c.db, account.name)
    token, _ = await sessions.start(c.db, account.name)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(SESSION_COOKIE, token, **COOKIE)  # a session cookie: gone when the browser closes
    response.delete_cookie(SIGNIN_COOKIE, **COOKIE)
    return response


@router.post("/signout")
async def signout(request: Request, me: Anyone) -> Response:
    await form(request, me)
    await sessions.end(console(request).db, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, **COOKIE)
    return response


@router.get("/")
async def home(request: Request, me: Anyone) -> Response:
    return console(request).pages.render(request, "home.html")
