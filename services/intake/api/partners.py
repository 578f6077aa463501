from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, HttpUrl, field_validator

from services.intake.api.auth import Submitter
from shared.api_errors import responses
from services.intake.partners import register_webhook

router = APIRouter(prefix="/v1/partners/me", tags=["partners"])


class WebhookIn(BaseModel):
    url: HttpUrl = Field(description="Where status changes are POSTed: https, or http to localhost for testing.",
                         examples=["https://portal.example.cn/hooks/subsidy"])
    secret: str = Field(min_length=16, max_length=200, description=(
        "Shared secret: each delivery carries `X-Subsidy-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "
        "\"<t>.\" + body)>`."))


    @field_validator("url")
    @classmethod
    def _https(cls, url: HttpUrl) -> HttpUrl:
        # Deliveries carry applicants' data and a signature: only over TLS, except to a local test receiver.
        if url.scheme != "https" and url.host not in ("localhost", "127.0.0.1"):
            raise ValueError("must be an https URL (http only to localhost)")
        return url


class WebhookOut(BaseModel):
    url: str  # as normalised, which may be longer than the URL given
    registered_at: datetime


@router.put("/webhook", response_model=WebhookOut, responses=responses(400, 401, 403, 422, 429))
async def put_webhook(request: Request, caller: Submitter, body: WebhookIn) -> WebhookOut:
    """Register (or replace) the webhook that receives your applications' status changes."""
    at = await register_webhook(request.app.state.runtime, caller.partner_id, str(body.url), body.secret)
    return WebhookOut(url=str(body.url), registered_at=at)


@router.delete("/webhook", status_code=204, responses=responses(401, 403, 429))
async def delete_webhook(request: Request, caller: Submitter) -> None:
    """Stop deliveries to your webhook."""
    await register_webhook(request.app.state.runtime, caller.partner_id, "", "")
