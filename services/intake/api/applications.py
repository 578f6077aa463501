"""Routes translate HTTP to a call and back; the rules live in `submissions` and `projection`."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel
from sqlalchemy import select

from services.intake.api.errors import ApiError, invalid, not_found, responses
from services.intake.submissions import IdempotencyConflict, submit
from services.intake.tables import applications, timeline
from shared.policy import InvalidApplication, parse_application

router = APIRouter(prefix="/v1/applications", tags=["applications"])
MAX_BODY_BYTES = 64 * 1024
PARTNER = "public"  # replaced by the caller's API key once partners exist


class Links(BaseModel):
    self: str


class Receipt(BaseModel):
    id: UUID
    status: str
    links: Links


class TimelineEntry(BaseModel):
    status: str
    at: datetime
    detail: dict[str, Any]


class ApplicationRead(BaseModel):
    id: UUID
    clause: str
    credit_code: str
    status: str
    submitted_at: datetime
    application: dict[str, Any]
    timeline: list[TimelineEntry]


@router.post("", status_code=202, response_model=Receipt, responses=responses(409, 413, 422))
async def post_application(request: Request, response: Response,
                           idempotency_key: Annotated[str, Header(min_length=1, max_length=200)]) -> Receipt:
    document = _json_object(await request.body())
    try:
        application = parse_application(document)
    except InvalidApplication as e:
        raise invalid([f.to_json() for f in e.errors]) from None
    try:
        accepted = await submit(request.app.state.runtime, PARTNER, idempotency_key, document, application)
    except IdempotencyConflict:
        raise ApiError(409, "idempotency_conflict",
                       "this Idempotency-Key was already used with a different body",
                       "该 Idempotency-Key 已用于不同的请求内容") from None
    location = f"/v1/applications/{accepted.application_id}"
    response.headers["Location"] = location
    if accepted.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return Receipt(id=accepted.application_id, status="submitted", links=Links(self=location))


@router.get("/{application_id}", response_model=ApplicationRead, responses=responses(404))
async def get_application(request: Request, application_id: UUID) -> ApplicationRead:
    async with request.app.state.runtime.sessions() as session:
        row = (await session.execute(select(applications).where(
            applications.c.id == application_id, applications.c.partner_id == PARTNER))).first()
        if row is None:
            raise not_found("application")
        steps = (await session.execute(select(timeline.c.status, timeline.c.at, timeline.c.detail)
                                       .where(timeline.c.application_id == application_id)
                                       .order_by(timeline.c.at))).all()
    return ApplicationRead(
        id=row.id, clause=row.clause, credit_code=row.credit_code, status=row.status,
        submitted_at=row.submitted_at, application=row.body,
        timeline=[TimelineEntry(status="submitted", at=row.submitted_at, detail={})]
        + [TimelineEntry(status=s.status, at=s.at, detail=s.detail) for s in steps])


def _json_object(body: bytes) -> dict[str, Any]:
    if len(body) > MAX_BODY_BYTES:
        raise ApiError(413, "body_too_large", f"the body exceeds {MAX_BODY_BYTES} bytes",
                       f"请求体超过 {MAX_BODY_BYTES} 字节")
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise invalid([{"field": "body", "code": "invalid_json", "message_en": f"not valid JSON: {e}",
                        "message_zh": "不是有效的 JSON"}]) from None
    if not isinstance(document, dict):
        raise invalid([{"field": "body", "code": "wrong_type", "message_en": "expected a JSON object",
                        "message_zh": "应为 JSON 对象"}])
    return document
