"""For every status change of an application: a notification recorded (its subject line in Chinese
and English, from the default templates), a webhook delivery owed to its partner, and an e-mail
owed to its applicant when the application gave a contact (or is not known yet)."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify import deliveries, due, samples, wording
from services.notify.statuses import Notice, about, notice
from services.notify.tables import application_partners, email_deliveries, notifications
from shared.bulk import among, insert_rows
from shared.events import NotificationRecordedV1
from shared.messaging.consumer import Batched, Handlers
from shared.messaging.envelope import Envelope
from shared.messaging.outbox import Publisher
from shared.messaging.payloads import Payload
from shared.statuses import STATUS_EVENTS


def email_id(event: Envelope) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"notify-email:{event.id}")


def summary(c: Notice, application_id: uuid.UUID, notice_url: str) -> tuple[str, str]:
    """The subject lines of the default messages: what the notification record says."""
    context = samples.context(c.status, c.context, {"application_id": str(application_id), "notice_url": notice_url})
    return wording.subject_line(c.status, "zh", context), wording.subject_line(c.status, "en", context)


def handlers(publisher: Publisher, notice_url: str) -> Handlers:
    async def statuses_changed(session: AsyncSession, batch: list[tuple[Envelope, Payload]]) -> None:
        changes = [(event, about(p), notice(p)) for event, p in batch]
        told, events = [], []
        for event, p, c in changes:
            notification_id = uuid.uuid5(uuid.NAMESPACE_URL, f"notify:{event.id}")
            zh, en = summary(c, p.application_id, notice_url)
            told.append(
                {
                    "id": notification_id,
                    "application_id": p.application_id,
                    "credit_code": p.credit_code,
                    "about": event.type,
                    "message_zh": zh,
                    "message_en": en,
                }
            )
            events.append(
                publisher.event(
                    NotificationRecordedV1(
                        notification_id=notification_id,
                        application_id=p.application_id,
                        credit_code=p.credit_code,
                        about=event.type,
                        message_zh=zh,
                        message_en=en,
                    ),
                    key=p.credit_code,
                    subject=str(p.application_id),
                    cause=event,
                )
            )
        await insert_rows(session, notifications, told)
        await publisher.publish(session, *events)
        await deliveries.enqueue(session, changes)
        # An application known to have given no contact is owed no e-mail; one not known yet may
        # have, and the mail worker decides once its submission is read.
        known_without = set(
            (
                await session.execute(
                    select(application_partners.c.application_id).where(
                        among(application_partners.c.application_id, {p.application_id for _, p, _ in changes}),
                        application_partners.c.email.is_(None),
                    )
                )
            ).scalars()
        )
        if owed := [
            {
                "id": email_id(event),
                "application_id": p.application_id,
                "application_status": c.status,
                "context": c.context,
                "occurred_at": event.time,
            }
            for event, p, c in changes
            if p.application_id not in known_without
        ]:
            await insert_rows(session, email_deliveries, owed)
            await due.announce(session)

    return dict.fromkeys(STATUS_EVENTS, Batched(statuses_changed))
