"""Routes translate HTTP to a call and back; the rules live in `submissions` and `reading`."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal
from uuid import UUID

import orjson
from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.routing import APIRoute
from pydantic import AwareDatetime, BaseModel, BeforeValidator, Field
from starlette.routing import Route

from services.intake import reading
from services.intake.api.auth import Reader, authorize
from services.intake.submissions import IdempotencyConflict
from shared import storable
from shared.api_errors import ApiError, concerns, invalid, json_response, not_found, responses
from shared.policy import InvalidApplication
from shared.routes import policy_book, wiring
from shared.statuses import STAGE

router = APIRouter(prefix="/v1/applications", tags=["applications"])
MAX_BODY_BYTES = 64 * 1024
if TYPE_CHECKING:
    Status = str  # built from the vocabulary when the module loads, which a type checker cannot see
else:
    Status = Literal[tuple(STAGE)]  # validated and documented as one of the vocabulary's statuses


# The hot path declares its key and header in the document rather than as FastAPI dependencies.
SUBMISSION = {
    "security": [{"ApiKey": ["partner"]}],
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": True,
            "schema": {"type": "string", "minLength": 1, "maxLength": 200},
            "description": "Your unique key for this application: retrying with the same key and body returns the "
            "original answer; another body with the same key is refused (409).",
        }
    ],
}


def _idempotency_key(request: Request) -> str:
    key = request.headers.get("idempotency-key", "")
    if not 1 <= len(key) <= 200:
        raise invalid(
            [
                {
                    "field": "header.idempotency-key",
                    "code": "missing" if not key else "invalid_format",
                    "message_en": "header.idempotency-key: required, 1–200 characters",
                    "message_zh": "header.idempotency-key：必填，1–200 个字符",
                }
            ]
        )
    return key


def _iso_datetime(value: object) -> datetime:
    # Only ISO 8601 with an offset: pydantic would otherwise read "0.5" as a Unix timestamp.
    if not isinstance(value, str):
        raise ValueError("expected an ISO 8601 date-time")
    return datetime.fromisoformat(value)


IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_datetime)]


class Links(BaseModel):
    self: str


class Receipt(BaseModel):
    id: UUID
    status: Literal["submitted"]
    links: Links


class TimelineEntry(BaseModel):
    status: Status
    at: datetime
    detail: dict[str, Any]


class ApplicationSummary(BaseModel):
    id: UUID
    clause: str
    credit_code: str
    status: Status
    submitted_at: datetime
    updated_at: datetime


class ApplicationRead(ApplicationSummary):
    application: dict[str, Any]
    timeline: list[TimelineEntry]


class ApplicationPage(BaseModel):
    items: list[ApplicationSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


@router.post(
    "",
    status_code=202,
    response_model=Receipt,
    openapi_extra=SUBMISSION | concerns("application"),
    responses=responses(401, 403, 409, 413, 422, 429),
)
async def post_application(request: Request) -> Response:
    """Submit an application. It is accepted (202) once stored; follow it at `links.self`."""
    caller = await authorize(request, "partner")
    idempotency_key = _idempotency_key(request)
    document = _json_object(await _read_capped(request))
    try:
        application = policy_book(request).parse(document)
    except InvalidApplication as e:
        raise invalid([f.to_json() for f in e.errors]) from None
    try:
        accepted = await request.app.state.submissions.submit(caller.partner_id, idempotency_key, document, application)
    except IdempotencyConflict:
        raise ApiError(
            409,
            "idempotency_conflict",
            "this Idempotency-Key was already used with a different body",
            "该 Idempotency-Key 已用于不同的请求内容",
        ) from None
    location = f"/v1/applications/{accepted.application_id}"
    headers = {"Location": location} | ({"Idempotent-Replayed": "true"} if accepted.replayed else {})
    # Built directly: this is the hot path, and the shape is the documented Receipt.
    return json_response(
        {"id": str(accepted.application_id), "status": "submitted", "links": {"self": location}},
        status_code=202,
        headers=headers,
    )


def serve_directly(app: FastAPI) -> None:
    """Submitting is the hot path, so it is served by a plain route ahead of the API's routes: it
    reads its key, header and body itself, and skips FastAPI's work per request (solving
    dependencies it has none of, its request wrapper). FastAPI's route for it still describes it in
    the document, and is the route its errors name (`shared.api_errors.resource_of`)."""
    documented = next(r for r in router.routes if isinstance(r, APIRoute) and r.endpoint is post_application)

    async def accept(request: Request) -> Response:
        request.scope["route"] = documented
        return await post_application(request)

    app.router.routes.insert(0, Route(documented.path, accept, methods=["POST"], include_in_schema=False))


@router.get("", response_model=ApplicationPage, responses=responses(401, 403, 422, 429))
async def list_applications(
    request: Request,
    caller: Reader,
    clause: Annotated[str | None, Query(max_length=50)] = None,
    status: Status | None = None,
    submitted_from: Annotated[
        IsoDateTime | None, Query(description="inclusive, with offset: 2024-03-01T00:00:00+08:00")
    ] = None,
    submitted_to: Annotated[IsoDateTime | None, Query(description="exclusive, with offset")] = None,
    credit_code: Annotated[
        str | None, Query(max_length=18, description="the applicant's unified social credit code")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> ApplicationPage:
    """Your applications, newest first, filtered and paged by cursor."""
    try:
        rows, next_cursor = await reading.page(
            wiring(request).sessions,
            caller,
            reading.Filters(clause, status, submitted_from, submitted_to, credit_code),
            limit,
            cursor,
        )
    except reading.BadCursor:
        raise invalid(
            [
                {
                    "field": "query.cursor",
                    "code": "invalid_cursor",
                    "message_en": "cursor is not one we issued",
                    "message_zh": "cursor 无效",
                }
            ]
        ) from None
    return ApplicationPage(
        items=[ApplicationSummary.model_validate(r, from_attributes=True) for r in rows], next_cursor=next_cursor
    )


@router.get("/{application_id}", response_model=ApplicationRead, responses=responses(401, 403, 404, 422, 429))
async def get_application(request: Request, caller: Reader, application_id: UUID) -> ApplicationRead:
    """The application's current status and its timeline, from submission to payment."""
    found = await reading.one(wiring(request).sessions, caller, application_id)
    if found is None:
        raise not_found("application")
    row, steps = found
    return ApplicationRead(
        id=row.id,
        clause=row.clause,
        credit_code=row.credit_code,
        status=row.status,
        submitted_at=row.submitted_at,
        updated_at=row.updated_at,
        application=row.body,
        timeline=[TimelineEntry(status="submitted", at=row.submitted_at, detail={})]
        + [TimelineEntry(status=s.status, at=s.at, detail=s.detail) for s in steps],
    )


async def _read_capped(request: Request) -> bytes:
    """The body, refused (413) as soon as it is known to be too large, before it is all read."""
    too_large = ApiError(
        413, "body_too_large", f"the body exceeds {MAX_BODY_BYTES} bytes", f"请求体超过 {MAX_BODY_BYTES} 字节"
    )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise invalid(
            [
                {
                    "field": "body",
                    "code": "invalid_json",
                    "message_en": f"body: not valid JSON: {e}",
                    "message_zh": "body：不是有效的 JSON",
                }
            ]
        ) from None
    if not isinstance(document, dict):
        raise invalid(
            [
                {
                    "field": "body",
                    "code": "wrong_type",
                    "message_en": "body: expected a JSON object",
                    "message_zh": "body：应为 JSON 对象",
                }
            ]
        )
    # Read raw, so checked here as the edge checks the rest (walked only if the bytes could hold such text).
    if storable.suspect(body) and (found := list(storable.problems(document, ""))):
        raise storable.refused(found)
    return document
