from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

from services.intake.api.auth import Submitter
from shared.api_errors import concerns, invalid, responses
from shared.webhook_secrets import BadSecret, key, new_secret
from shared.webhook_targets import TargetRefused

router = APIRouter(prefix="/v1/partners/me", tags=["partners"])


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: HttpUrl = Field(
        description=(
            "Where status changes are POSTed: an https URL whose host is, and resolves only to, public addresses "
            "(no loopback, private, link-local, unique-local, carrier-grade NAT, multicast or cloud-metadata "
            "address, however spelt). Checked again before every delivery; redirects are not followed."
        ),
        examples=["https://portal.example.cn/hooks/subsidy"],
    )
    secret: str | None = Field(
        None,
        min_length=16,
        max_length=200,
        description=(
            "Signing secret (Standard Webhooks): leave it out and one (`whsec_…`) is issued and returned once; "
            "or give a `whsec_` secret of 24–64 base64 bytes, or (as before) any string of 16–200 characters, "
            "whose Standard Webhooks form is `whsec_` + base64 of its UTF-8 bytes. A new secret replaces the "
            "old one, which keeps signing beside it for a day. Stored encrypted."
        ),
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )

    @field_validator("secret")
    @classmethod
    def _usable(cls, secret: str | None) -> str | None:
        if secret is not None:
            try:
                key(secret, strict=True)
            except BadSecret as e:
                raise ValueError(str(e)) from None
        return secret


class WebhookOut(BaseModel):
    url: str  # as normalised, which may be longer than the URL given
    registered_at: datetime
    secret: str | None = Field(None, description="the secret issued, when you gave none: shown this once only")


@router.put(
    "/webhook",
    response_model=WebhookOut,
    responses=responses(400, 401, 403, 422, 429),
    openapi_extra=concerns("webhook"),
)
async def put_webhook(request: Request, caller: Submitter, body: WebhookIn) -> WebhookOut:
    """Register (or replace) the webhook that receives your applications' status changes, signed to the
    Standard Webhooks specification (`webhook-id`, `webhook-timestamp`, `webhook-signature`). Registering
    again also re-enables a webhook disabled because it answered 410 Gone."""
    secret = body.secret or new_secret()
    try:
        at = await request.app.state.webhooks.register(caller.partner_id, str(body.url), secret)
    except TargetRefused as refused:
        raise invalid(
            [
                {
                    "field": "body.url",
                    "code": refused.code,
                    "message_en": f"body.url: {refused.message_en}",
                    "message_zh": f"body.url：{refused.message_zh}",
                }
            ]
        ) from None
    return WebhookOut(url=str(body.url), registered_at=at, secret=None if body.secret else secret)


@router.delete("/webhook", status_code=204, responses=responses(401, 403, 429))
async def delete_webhook(request: Request, caller: Submitter) -> None:
    """Stop deliveries to your webhook."""
    await request.app.state.webhooks.remove(caller.partner_id)
