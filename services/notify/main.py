"""Wires the notify service: the events it follows, its mail and webhook workers, and its own API
(partners' delivery log and replay, and their message templates)."""

from datetime import timedelta

from fastapi import FastAPI

from services.notify import matches, partners, retention
from services.notify.api import routes
from services.notify.handlers import handlers
from services.notify.mail import mail_worker
from services.notify.settings import notify_settings
from services.notify.tables import api_keys, metadata, published_policy_versions
from services.notify.worker import DeliveryPolicy, delivery_worker
from shared import api_errors, policy_versions
from shared.auth import KeyRing, replica_lookup
from shared.bootstrap import bootstrap
from shared.messaging.consumer import merged
from shared.ratelimit import RateLimiter
from shared.secretbox import SecretBox
from shared.service import Runtime
from shared.service import create_app as create_service_app
from shared.settings import Settings
from shared.webhook_targets import WebhookTargets

DESCRIPTION = """\
What partner portals can see and change of how their applicants and their webhook are told.

* **Keys**: the same API keys as intake (`Authorization: Bearer sk_…`, role `partner`); admins see
  every partner's deliveries.
* **Delivery log**: `GET /v1/partners/me/webhook/deliveries`, and `POST …/{id}/retry` to send one again
  (same `webhook-id`).
* **Templates**: `PUT /v1/partners/me/templates/{status}/{language}` replaces any part (subject, text,
  html) of the message your applicants receive; it must render against the status's sample context.
* **Errors** share one shape: `{"error": {"code", "message_en", "message_zh", "fields": [...]}}`.
"""


def create_app(settings: Settings | None = None, *, webhooks: DeliveryPolicy | None = None) -> FastAPI:
    settings = notify_settings(settings)
    box = SecretBox.from_settings(settings)  # without SECRETS_KEY notify refuses to start
    wiring = bootstrap(settings, metadata)
    published = policy_versions.replica(wiring, published_policy_versions)
    runtime = Runtime(
        wiring,
        handlers={
            # Status changes of applications, and what applicants could claim (免申即享).
            # The policy replica goes along: its few events need no group of their own (whose
            # fetches would keep an idle broker busy).
            "notify-applicants": merged(
                handlers(wiring.publisher, settings.notice_url),
                matches.handlers(settings.notice_url),
                published.handlers,
            ),
            # Its own group: partner bookkeeping neither waits for nor holds up applicants' notifications.
            "notify-partners": partners.handlers(box, timedelta(seconds=settings.webhook_rotation_overlap_s)),
        },
        workers=[
            delivery_worker(
                wiring.sessions,
                webhooks or DeliveryPolicy.from_settings(settings),
                box,
                WebhookTargets.from_settings(settings),
                wiring.listener,
            ),
            mail_worker(wiring.sessions, settings, wiring.policy, wiring.listener),
            published.follow,
        ],
        resources=[published.load],
        retention=retention.rules(settings),
    )

    def configure(app: FastAPI) -> None:
        app.state.keys = KeyRing(replica_lookup(wiring.sessions, api_keys))
        app.state.limiter = RateLimiter()
        app.state.settings = settings
        app.description = DESCRIPTION
        api_errors.install(app)
        app.include_router(routes.router)

    return create_service_app(runtime, configure=configure, title="Chengdu blockchain subsidy — notifications (notify)")
