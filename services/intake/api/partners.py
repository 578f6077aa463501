from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, HttpUrl

from services.intake.api.auth import Submitter
from shared.api_errors import invalid, responses
from shared.webhook_targets import TargetRefused

router = APIRouter(prefix="/v1/partners/me", tags=["partners"])


class WebhookIn(BaseModel):
    url: HttpUrl = Field(description=(
        "Where status changes are POSTed: an https URL whose host is, and resolves only to, public addresses "
        "(no loopback, private, link-local, unique-local, carrier-grade NAT, multicast or cloud-metadata "
        "address, however spelt). Checked again before every delivery; redirects are not followed."),
        examples=["https://portal.example.cn/hooks/subsidy"])
    secret: str = Field(min_length=16, max_length=200, description=(
        "Shared secret: each delivery carries `X-Subsidy-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "
        "\"<t>.\" + body)>`. Stored encrypted."))


class WebhookOut(BaseModel):
    url: str  # as normalised, which may be longer than the URL given
    registered_at: datetime


@router.put("/webhook", response_model=WebhookOut, responses=responses(400, 401, 403, 422, 429))
async def put_webhook(request: Request, caller: Submitter, body: WebhookIn) -> WebhookOut:
    """Register (or replace) the webhook that receives your applications' status changes."""
    try:
        at = await request.app.state.webhooks.register(caller.partner_id, str(body.url), body.secret)
    except TargetRefused as refused:
        raise invalid([{"field": "body.url", "code": refused.code, "message_en": f"body.url: {refused.message_en}",
                        "message_zh": f"body.url：{refused.message_zh}"}]) from None
    return WebhookOut(url=str(body.url), registered_at=at)


@router.delete("/webhook", status_code=204, responses=responses(401, 403, 429))
async def delete_webhook(request: Request, caller: Submitter) -> None:
    """Stop deliveries to your webhook."""
    await request.app.state.webhooks.remove(caller.partner_id)
