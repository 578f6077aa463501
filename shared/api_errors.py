"""One shape for every 4xx body: a code, a message in Chinese and English, and the offending fields."""

from typing import Any

import orjson
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from shared.policy.errors import field_errors
from shared.refusal import Refused


class FieldProblem(BaseModel):
    field: str
    code: str
    message_en: str
    message_zh: str


class ErrorBody(BaseModel):
    code: str
    message_en: str
    message_zh: str
    fields: list[FieldProblem] = []


class Error(BaseModel):
    error: ErrorBody


def json_response(body: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status_code, headers=headers, media_type="application/json")


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message_en: str,
        message_zh: str,
        fields: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ):
        self.status, self.headers = status, headers
        self.body = {
            "error": {"code": code, "message_en": message_en, "message_zh": message_zh, "fields": fields or []}
        }


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found", f"未找到{what}")


# What a request's body can describe, in English and Chinese: a route declares which one its body is
# (`openapi_extra=concerns("webhook")`), and whatever fails to validate on that route is answered
# 422 `invalid_webhook`, "the webhook is not valid", "Webhook 无效", its fields named in `fields`;
# its document says so. A route that declares none (a query's filters) answers `invalid_request`.
RESOURCES: dict[str, tuple[str, str]] = {
    "request": ("request", "请求"),
    "application": ("application", "申请"),
    "payee": ("payee account", "收款账户"),
    "match": ("match request", "政策匹配请求"),
    "webhook": ("webhook", "Webhook"),
    "policy_draft": ("policy draft", "政策草案"),
    "approval": ("approval", "审批"),
    "withdrawal": ("withdrawal", "撤回"),  # of a policy version
    "application_withdrawal": ("application withdrawal", "撤回申请"),
    "policy_check": ("policy check", "政策校验请求"),
    "whatif": ("what-if request", "政策模拟测算请求"),
    "round": ("round", "遴选轮次"),
    "state_change": ("state change", "状态变更"),
    "conflict_declaration": ("conflict-of-interest declaration", "利益冲突声明"),
    "review": ("review", "评审意见"),
    "objection": ("objection", "异议"),
    "objection_decision": ("objection decision", "异议处理决定"),
    "budget": ("budget", "预算"),
    "cancellation": ("cancellation", "撤销"),
    "clawback": ("clawback", "追回"),
    "template": ("template", "通知模板"),
}


def concerns(resource: str) -> dict[str, Any]:
    """A route's `openapi_extra`: the resource its body describes (a key of RESOURCES)."""
    if resource not in RESOURCES:
        raise KeyError(f"{resource!r} is not a resource errors can name; add it to RESOURCES")
    return {"x-resource": resource}


def resource_of(route: object) -> str:
    return str((getattr(route, "openapi_extra", None) or {}).get("x-resource", "request"))


def invalid_body(resource: str, fields: list[dict[str, Any]]) -> dict[str, Any]:
    en, zh = RESOURCES[resource]
    return {
        "error": {
            "code": f"invalid_{resource}",
            "message_en": f"the {en} is not valid; see fields",
            "message_zh": f"{zh}{' ' if zh[-1].isascii() else ''}无效，详见字段说明",
            "fields": fields,
        }
    }


class Invalid(ApiError):
    """A 422 naming fields; which resource it names is the route's (`concerns`), unless given."""

    def __init__(self, fields: list[dict[str, Any]], resource: str | None = None):
        error = invalid_body(resource or "request", fields)["error"]
        super().__init__(422, error["code"], error["message_en"], error["message_zh"], fields)
        self.fields, self.resource = fields, resource

    def on(self, route: object) -> dict[str, Any]:
        return invalid_body(self.resource or resource_of(route), self.fields)


def invalid(fields: list[dict[str, Any]], resource: str | None = None) -> Invalid:
    return Invalid(fields, resource)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer with."""
    return {s: {"model": Error} for s in statuses}


_MEANING = {
    400: "The body could not be read (not UTF-8, or not the declared media type).",
    401: "No valid API key.",
    403: "The key's role may not do this.",
    404: "Not found.",
    429: "Too many requests: wait for the seconds in `Retry-After`.",
    500: "The service could not answer; quote the `X-Correlation-Id` response header when you report it.",
    503: "Busy, or its database away for a moment: nothing was done; try again after `Retry-After` seconds.",
}


def common_errors(operation: dict[str, Any]) -> list[int]:
    """The errors any operation of this shape can answer with, whatever its route does: a key's
    refusals where it needs one, the body's and parameters' where it has them, and the server's own."""
    statuses = [500, 503]
    if operation.get("security"):
        statuses += [401, 403, 429]
    if operation.get("requestBody"):
        statuses += [400, 422]
    if operation.get("parameters"):
        statuses.append(422)
    if any(p.get("in") == "path" for p in operation.get("parameters", [])):
        statuses.append(404)
    return statuses


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Declares, once for every service, the error responses each operation can give (see
    `common_errors`), all in the one documented shape."""
    _, definitions = models_json_schema([(Error, "serialization")], ref_template="#/components/schemas/{model}")
    schema.setdefault("components", {}).setdefault("schemas", {}).update(definitions.get("$defs", {}))
    shape = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            answers = operation.setdefault("responses", {})
            statuses = common_errors(operation)
            for status in statuses:
                if status != 422:
                    answers.setdefault(str(status), {"description": _MEANING[status], "content": shape})
            if 422 in statuses or "422" in answers:
                answers["422"] = _invalid_answer(operation)
    return schema


def _invalid_answer(operation: dict[str, Any]) -> dict[str, Any]:
    """The 422 an operation answers when its input fails validation, with the code it carries (its
    rules may refuse with other 422 codes, which its description names)."""
    resource = operation.get("x-resource", "request")
    where = "body" if operation.get("requestBody") else "query"
    missing = {
        "field": f"{where}.…",
        "code": "missing",
        "message_en": "is required but missing",
        "message_zh": "缺少必填字段",
    }
    example = invalid_body(resource, [missing])
    return {
        "description": f"The {RESOURCES[resource][0]} is not valid: `invalid_{resource}`, with `fields` naming "
        "each field that is missing or invalid and what is wrong with it.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}, "example": example}},
    }


_GENERIC = {
    400: ("bad_request", "the request is malformed", "请求格式错误"),
    401: ("unauthorized", "a valid API key is required", "需要有效的 API 密钥"),
    403: ("forbidden", "this key's role may not do that", "该密钥的角色无此权限"),
    404: ("not_found", "not found", "未找到"),
    405: ("method_not_allowed", "method not allowed", "不支持该请求方法"),
}


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, e: ApiError) -> Response:
        body = e.on(request.scope.get("route")) if isinstance(e, Invalid) else e.body
        return json_response(body, status_code=e.status, headers=e.headers)

    @app.exception_handler(Refused)
    async def refused(_: Request, e: Refused) -> Response:
        return json_response(
            {"error": {"code": e.code, "message_en": e.message_en, "message_zh": e.message_zh, "fields": e.fields}},
            status_code=e.status,
        )

    @app.exception_handler(IntegrityError)
    async def integrity(_: Request, e: IntegrityError) -> Response:
        # Two calls raced for the same thing and the database kept one: say so, never pretend.
        constraint = getattr(getattr(e.orig, "__cause__", None), "constraint_name", None) or "a constraint"
        return json_response(
            {
                "error": {
                    "code": "conflict",
                    "message_en": f"refused by {constraint}: another change got there first; "
                    "read the current state and try again",
                    "message_zh": "与其他同时进行的操作冲突，请刷新后重试",
                    "fields": [],
                }
            },
            status_code=409,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, e: StarletteHTTPException) -> Response:
        code, en, zh = _GENERIC.get(e.status_code, ("error", str(e.detail), str(e.detail)))
        headers = getattr(e, "headers", None)
        if e.status_code == 405:  # Starlette names only the first matching route's methods
            headers = {"Allow": ", ".join(sorted(_allowed_methods(request)))}
        return json_response(
            {"error": {"code": code, "message_en": en, "message_zh": zh, "fields": []}},
            status_code=e.status_code,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, e: RequestValidationError) -> Response:
        fields = [f.to_json() for f in field_errors(e.errors())]
        return json_response(invalid_body(resource_of(request.scope.get("route")), fields), status_code=422)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> set[str]:
    # Asked of the router by trying each method: its routes include FastAPI's included routers,
    # which list no methods of their own. A mount (static files) takes any method: not a route.
    routes = [route for route in request.app.router.routes if not isinstance(route, Mount)]
    return {
        method
        for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)
    }
