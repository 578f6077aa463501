"""What notify must know about partners to reach them: their webhooks, and their applications."""

from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.tables import application_partners, webhook_deliveries, webhooks
from shared.events import ApplicationSubmittedV1, WebhookRegisteredV1
from shared.messaging.consumer import Batched
from shared.messaging.envelope import Envelope


async def webhook_registered(session: AsyncSession, event: Envelope, p: WebhookRegisteredV1) -> None:
    # An empty url unregisters; the row stays with it so that `registered_at` still orders what
    # comes next. An older registration read late never replaces a newer one.
    new = insert(webhooks).values(partner_id=p.partner_id, url=p.url, secret=p.secret,
                                  registered_at=p.registered_at)
    await session.execute(new.on_conflict_do_update(
        index_elements=[webhooks.c.partner_id],
        set_={"url": new.excluded.url, "secret": new.excluded.secret,
              "registered_at": new.excluded.registered_at},
        where=webhooks.c.registered_at <= new.excluded.registered_at))
    if p.url:
        # Status changes that waited for this registration go out now, not when their grace ends.
        await session.execute(update(webhook_deliveries).where(
            webhook_deliveries.c.partner_id == p.partner_id, webhook_deliveries.c.status == "pending",
            webhook_deliveries.c.attempts == 0).values(next_attempt_at=func.now()))


async def applications_submitted(session: AsyncSession, batch: list[tuple[Envelope, ApplicationSubmittedV1]]) -> None:
    await session.execute(insert(application_partners), [
        {"application_id": p.application_id, "partner_id": p.partner_id} for _, p in batch])


HANDLERS = {WebhookRegisteredV1: webhook_registered, ApplicationSubmittedV1: Batched(applications_submitted)}
