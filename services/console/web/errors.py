"""What an official sees when something goes wrong: a page in both languages, never a stack trace."""

from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from services.console.upstream import Unavailable, UpstreamRefused
from services.console.web.deps import SESSION_COOKIE, CsrfRefused, NeedSignIn, NotAllowed, TooLarge, console

SERVICE_NAMES = {
    "intake": "申报受理服务 intake",
    "quota": "评选服务 quota",
    "payout": "拨付服务 payout",
    "eligibility": "资格审核与政策版本服务 eligibility",
    "broker": "消息服务 broker",
}


def _page(
    request: Request,
    status: int,
    title: tuple[str, str],
    message: tuple[str, str],
    code: str = "",
    fields: list | None = None,
    headers: dict | None = None,
) -> Response:
    return console(request).pages.render(
        request,
        "error.html",
        status=status,
        headers=headers,
        title=title,
        message=message,
        code=code,
        fields=fields or [],
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(NeedSignIn)
    async def need_sign_in(request: Request, _: NeedSignIn) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        response = RedirectResponse(
            f"/signin?{urlencode({'next': target})}" if request.method == "GET" else "/signin", status_code=303
        )
        if request.cookies.get(SESSION_COOKIE):  # an expired or ended session: forget it
            response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
        return response

    @app.exception_handler(NotAllowed)
    async def not_allowed(request: Request, _: NotAllowed) -> Response:
        return _page(
            request,
            403,
            ("无权访问", "Not allowed"),
            ("您的角色不能查看或操作此页面。", "Your role may not see or do this."),
        )

    @app.exception_handler(CsrfRefused)
    async def csrf(request: Request, _: CsrfRefused) -> Response:
        return _page(
            request,
            403,
            ("请求被拒绝", "Request refused"),
            (
                "表单缺少有效的安全令牌，请刷新页面后重试。",
                "The form lacked a valid security token; reload the page and try again.",
            ),
            code="csrf",
        )

    @app.exception_handler(TooLarge)
    async def too_large(request: Request, _: TooLarge) -> Response:
        return _page(
            request,
            413,
            ("内容过大", "Too large"),
            (
                "提交的内容过大：政策文本最多 512K 个字符。",
                "What was sent is too large: a policy text has at most 512 Ki characters.",
            ),
        )

    @app.exception_handler(UpstreamRefused)
    async def refused(request: Request, e: UpstreamRefused) -> Response:
        headers = {"Retry-After": e.retry_after} if e.retry_after else None
        return _page(
            request,
            e.status,
            ("未能完成", "Could not be done"),
            (e.message_zh, e.message_en),
            e.code,
            e.fields,
            headers,
        )

    @app.exception_handler(Unavailable)
    async def unavailable(request: Request, e: Unavailable) -> Response:
        name = SERVICE_NAMES.get(e.service, e.service)
        return _page(
            request,
            502,
            ("服务暂不可用", "Service unavailable"),
            (
                f"{name} 暂时无法访问，请稍后重试；运行状况页显示各服务状态。",
                f"{e.service} cannot be reached now; try again shortly. The health page shows each service.",
            ),
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, e: HTTPException) -> Response:
        if e.status_code == 404:
            return _page(request, 404, ("未找到", "Not found"), ("没有这个页面。", "There is no such page."))
        return _page(request, e.status_code, ("请求有误", "Bad request"), (str(e.detail), str(e.detail)))

    @app.exception_handler(RequestValidationError)
    async def bad_address(request: Request, _: RequestValidationError) -> Response:
        # The console's only typed inputs are in its paths (an application id, a year…).
        return _page(request, 404, ("未找到", "Not found"), ("地址有误。", "The address is not one of ours."))
