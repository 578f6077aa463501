"""The notify service's settings: the shared ones, plus its mail server, its links, and how it
delivers webhooks. Every one is an environment variable of the same name in capitals."""

import re
from email.utils import parseaddr
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from services.notify import retries
from shared.settings import Settings


def _seconds(value: object) -> object:
    """ "5,30,120" (as an environment variable gives it) → (5.0, 30.0, 120.0)."""
    if isinstance(value, str):
        return tuple(float(part) for part in value.split(",") if part.strip())
    return value


Delays = Annotated[tuple[float, ...], NoDecode, BeforeValidator(_seconds)]
EMAIL_SCHEDULE_S = (30, 120, 600, 1800, 3600, 7200, 14400, 28800)  # 9 attempts over about 15 hours


class NotifySettings(Settings):
    # ---- e-mail to applicants ----
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    # starttls: upgrade a plain connection (refused if the server cannot); tls: TLS from the first
    # byte (port 465); none: plain, for a local sink only.
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "成都市区块链试点补贴 <noreply@subsidy.localhost>"
    smtp_timeout_s: float = Field(default=10.0, gt=0)
    smtp_concurrency: int = Field(default=4, ge=1)  # messages sent at once, per replica
    email_retry_schedule_s: Delays = EMAIL_SCHEDULE_S
    # How long a status change waits for its application's submission (and so its contact) to be
    # read before it is dropped as owed to nobody: they travel on different topics.
    contact_grace_s: float = Field(default=120.0, ge=0)
    # Where the public notice (and its objection form) is: quoted in notice messages.
    notice_url: str = "http://127.0.0.1:8002/notices"

    # ---- webhooks to partners ----
    webhook_concurrency: int = Field(default=64, ge=1)  # requests in flight, per replica
    webhook_endpoint_concurrency: int = Field(default=4, ge=1)  # of which to one endpoint
    webhook_timeout_s: float = Field(default=5.0, gt=0)
    webhook_retry_schedule_s: Delays = retries.SCHEDULE_S
    webhook_retry_jitter: float = Field(default=retries.JITTER, ge=0, lt=1)
    webhook_registration_grace_s: float = Field(default=120.0, ge=0)
    # The mail and webhook workers look when told, and when their next delivery falls due; and at
    # the latest this often, in case an announcement was missed.
    webhook_poll_interval_s: float = Field(default=60.0, gt=0)
    # How long deliveries are signed with the previous secret too, after a partner registers a new one.
    webhook_rotation_overlap_s: float = Field(default=86400.0, ge=0)
    # The deprecated `X-Subsidy-Signature` header, beside the Standard Webhooks ones.
    webhook_legacy_signature: bool = True
    # How long sent (or given up) webhooks and e-mails stay in the delivery log (services/notify/retention.py).
    delivery_log_retention_days: float = Field(default=30, gt=0)

    @field_validator("smtp_from")
    @classmethod
    def _a_real_sender(cls, value: str) -> str:
        _, address = parseaddr(value)
        if not re.fullmatch(r"[^@\s]+@[^@\s]+", address):
            raise ValueError("SMTP_FROM must hold an e-mail address, e.g. 'Name <noreply@example.cn>'")
        return value

    @model_validator(mode="after")
    def _credentials_in_pairs(self):
        if (self.smtp_username is None) != (self.smtp_password is None):
            raise ValueError("SMTP_USERNAME and SMTP_PASSWORD go together")
        return self

    @property
    def webhook_lease_s(self) -> float:
        """How long a claimed delivery is its sender's alone: well beyond one request."""
        return self.webhook_timeout_s * 2 + 30


def notify_settings(settings: Settings | None) -> NotifySettings:
    if isinstance(settings, NotifySettings):
        return settings
    return NotifySettings(**(settings.model_dump() if settings else {"service_name": "notify"}))
