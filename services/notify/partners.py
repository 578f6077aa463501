"""What notify must know about partners to reach them: their webhooks, and their applications."""

from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.tables import application_partners, webhook_deliveries, webhooks
from shared.events import ApplicationSubmittedV1, WebhookRegisteredV1, WebhookRegisteredV2
from shared.messaging.consumer import Batched
from shared.messaging.envelope import Envelope
from shared.secretbox import SecretBox


async def record_webhook(session: AsyncSession, partner_id: str, url: str, secret_ciphertext: str,
                         registered_at: datetime) -> None:
    # An empty url unregisters; the row stays with it so that `registered_at` still orders what
    # comes next. An older registration read late never replaces a newer one.
    new = insert(webhooks).values(partner_id=partner_id, url=url, secret_ciphertext=secret_ciphertext,
                                  registered_at=registered_at)
    await session.execute(new.on_conflict_do_update(
        index_elements=[webhooks.c.partner_id],
        set_={"url": new.excluded.url, "secret_ciphertext": new.excluded.secret_ciphertext,
              "registered_at": new.excluded.registered_at},
        where=webhooks.c.registered_at <= new.excluded.registered_at))
    if url:
        # Status changes that waited for this registration go out now, not when their grace ends.
        await session.execute(update(webhook_deliveries).where(
            webhook_deliveries.c.partner_id == partner_id, webhook_deliveries.c.status == "pending",
            webhook_deliveries.c.attempts == 0).values(next_attempt_at=func.now()))


async def applications_submitted(session: AsyncSession, batch: list[tuple[Envelope, ApplicationSubmittedV1]]) -> None:
    await session.execute(insert(application_partners), [
        {"application_id": p.application_id, "partner_id": p.partner_id} for _, p in batch])


def handlers(box: SecretBox) -> dict:
    async def webhook_registered(session: AsyncSession, event: Envelope, p: WebhookRegisteredV2) -> None:
        await record_webhook(session, p.partner_id, p.url, p.secret_ciphertext, p.registered_at)

    async def webhook_registered_in_clear(session: AsyncSession, event: Envelope, p: WebhookRegisteredV1) -> None:
        # Published before secrets were sealed: the secret is sealed here, and only that is kept.
        await record_webhook(session, p.partner_id, p.url, box.seal(p.secret) if p.secret else "",
                             p.registered_at)

    return {WebhookRegisteredV2: webhook_registered, WebhookRegisteredV1: webhook_registered_in_clear,
            ApplicationSubmittedV1: Batched(applications_submitted)}
