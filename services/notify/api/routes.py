"""Notify's own API: a partner's webhook delivery log and replay, and its message templates.
Routes translate HTTP to a call of `log` and back."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from services.notify import log, wording
from shared.api_errors import ApiError, concerns, invalid, not_found, responses
from shared.auth import Caller, role
from shared.routes import wiring

router = APIRouter(prefix="/v1/partners/me", tags=["partners"])
Partner = Annotated[Caller, role("partner")]
ERRORS = responses(401, 403, 404, 422, 429)
StatusName = Annotated[
    str, Path(description="an application status, e.g. `eligible`, `payout_held`", examples=["eligible"])
]
Language = Annotated[Literal["zh", "en"], Path(description="`zh` or `en`")]


class DeliveryRead(BaseModel):
    id: UUID = Field(description="also the `webhook-id` header of every attempt")
    type: Literal["application.status_changed", "match.found"] = Field(
        description="the body's `type`: an application's status change, or a clause an applicant could claim"
    )
    application_id: UUID | None = Field(description="the application whose status changed; null for `match.found`")
    credit_code: str | None = Field(description="the applicant a `match.found` is about; null otherwise")
    application_status: str | None = Field(description="the status the delivery reports; null for `match.found`")
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_status_code: int | None = Field(description="your endpoint's last HTTP status, if it answered")
    last_error: str | None
    next_attempt_at: datetime | None = Field(description="when it is tried next, while pending")
    url: str | None
    created_at: datetime
    delivered_at: datetime | None
    replayed_at: datetime | None


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class TemplateParts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str | None = Field(None, max_length=1000, description="one line (Jinja2); null: ours")
    text: str | None = Field(None, max_length=20_000, description="the plain-text body (Jinja2); null: ours")
    html: str | None = Field(
        None,
        max_length=50_000,
        description="the HTML part (Jinja2, autoescaped); null: ours, which wraps the text body's paragraphs",
    )


class TemplateRead(BaseModel):
    status: str
    language: Literal["zh", "en"]
    custom: TemplateParts = Field(description="your parts; null where ours apply")
    default: dict[str, str] = Field(description="our parts' sources")
    updated_at: datetime | None
    preview: dict[str, str] = Field(description="the message rendered from the status's sample context")


class TemplateSummary(BaseModel):
    status: str
    language: Literal["zh", "en"]
    custom: TemplateParts
    updated_at: datetime


async def _in_transaction(request: Request, operation, *args, **kwargs):
    async with wiring(request).sessions.begin() as session:
        return await operation(session, *args, **kwargs)


@router.get("/webhook/deliveries", response_model=DeliveryPage, responses=ERRORS)
async def list_deliveries(
    request: Request,
    caller: Partner,
    status: Literal["pending", "delivered", "failed"] | None = None,
    application_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> DeliveryPage:
    """Your webhook deliveries, newest first: their state, attempts, your endpoint's last answer and
    when the next attempt is due."""
    try:
        items, next_cursor = await _in_transaction(
            request,
            log.deliveries,
            partner_id=caller.partner_id,
            status=status,
            application_id=application_id,
            limit=limit,
            cursor=cursor,
        )
    except log.BadCursor:
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
    return DeliveryPage(items=items, next_cursor=next_cursor)


@router.get("/webhook/deliveries/{delivery_id}", response_model=DeliveryRead, responses=ERRORS)
async def get_delivery(request: Request, caller: Partner, delivery_id: UUID) -> dict:
    """One delivery of yours."""
    try:
        return await _in_transaction(request, log.delivery, delivery_id, caller.partner_id)
    except log.NotFound:
        raise not_found("delivery") from None


@router.post(
    "/webhook/deliveries/{delivery_id}/retry",
    status_code=202,
    response_model=DeliveryRead,
    responses=responses(401, 403, 404, 409, 422, 429),
)
async def retry_delivery(request: Request, caller: Partner, delivery_id: UUID) -> dict:
    """Send the delivery again now, exactly as before (same body, same `webhook-id`), with a fresh
    retry schedule. Refused (409) while your endpoint is disabled: register it again first."""
    try:
        return await _in_transaction(request, log.retry, delivery_id, caller.partner_id)
    except log.NotFound:
        raise not_found("delivery") from None
    except log.EndpointDisabled as e:
        raise ApiError(
            409,
            "endpoint_disabled",
            f"your webhook cannot receive it: {e}; register it again (PUT /v1/partners/me/webhook on intake) and retry",
            "您的回调地址当前无法接收：请先在受理服务重新登记回调地址，再重试",
        ) from None


@router.get("/templates", response_model=list[TemplateSummary], responses=ERRORS)
async def list_templates(request: Request, caller: Partner) -> list[dict]:
    """Your own template parts, per status and language (ours apply everywhere else)."""
    return await _in_transaction(request, log.templates, caller.partner_id)


def _known(status: str) -> None:
    if status not in wording.statuses():
        raise not_found(f"status {status!r} (one of {', '.join(wording.statuses())})")


@router.get("/templates/{status}/{language}", response_model=TemplateRead, responses=ERRORS)
async def get_template(request: Request, caller: Partner, status: StatusName, language: Language) -> dict:
    """The message your applicants get for this status and language: your parts, ours, and a preview."""
    _known(status)
    return await _in_transaction(request, log.template, caller.partner_id, status, language)


@router.put(
    "/templates/{status}/{language}", response_model=TemplateRead, responses=ERRORS, openapi_extra=concerns("template")
)
async def put_template(
    request: Request, caller: Partner, status: StatusName, language: Language, body: TemplateParts
) -> dict:
    """Replace any part of the message for your applicants. Jinja2 (sandboxed); the context is the
    status's detail plus the application's facts (see `preview` and our sources in `default`). A
    template that does not compile, or does not render against the status's sample context, is
    refused with a field error naming the part."""
    _known(status)
    try:
        return await _in_transaction(request, log.put_template, caller.partner_id, status, language, body.model_dump())
    except wording.TemplateRefused as e:
        raise invalid(
            [
                {
                    "field": f"body.{e.part}",
                    "code": "invalid_template",
                    "message_en": f"body.{e.part}: {e.message}",
                    "message_zh": f"body.{e.part}：模板无法按示例数据渲染（{e.message}）",
                }
            ]
        ) from None


@router.delete("/templates/{status}/{language}", status_code=204, responses=ERRORS)
async def delete_template(request: Request, caller: Partner, status: StatusName, language: Language) -> Response:
    """Go back to our message for this status and language."""
    _known(status)
    if not await _in_transaction(request, log.delete_template, caller.partner_id, status, language):
        raise not_found("template")
    return Response(status_code=204)
