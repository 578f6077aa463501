"""Records one notification per event an applicant should hear about, and owes the application's
partner a webhook delivery for every status change."""

import uuid

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify import deliveries
from services.notify.messages import message
from services.notify.tables import notifications
from shared.events import (AwardGrantedV1, DecisionMadeV1, NotificationRecordedV1, PayoutFailedV1,
                           PayoutPaidV1, RecognitionGrantedV1, SelectionConcludedV1, SelectionProgressedV1)
from shared.messaging.consumer import Batched
from shared.messaging.envelope import Envelope
from shared.messaging.payloads import Payload
from shared.service import Runtime

# Applicants hear of the payment, not of the request for it; partners follow every status.
TOLD = (DecisionMadeV1, SelectionProgressedV1, SelectionConcludedV1, AwardGrantedV1, RecognitionGrantedV1,
        PayoutPaidV1, PayoutFailedV1)


def handlers(runtime: Runtime):
    async def statuses_changed(session: AsyncSession, batch: list[tuple[Envelope, Payload]]) -> None:
        told, events = [], []
        for event, p in batch:
            if not isinstance(p, TOLD):
                continue
            notification_id = uuid.uuid5(uuid.NAMESPACE_URL, f"notify:{event.id}")
            zh, en = message(p)
            told.append({"id": notification_id, "application_id": p.application_id, "credit_code": p.credit_code,
                         "about": event.type, "message_zh": zh, "message_en": en})
            events.append(runtime.event(NotificationRecordedV1(
                notification_id=notification_id, application_id=p.application_id, credit_code=p.credit_code,
                about=event.type, message_zh=zh, message_en=en),
                key=p.credit_code, subject=str(p.application_id), cause=event))
        if told:
            await session.execute(insert(notifications), told)
            await runtime.publish(session, *events)
        await deliveries.enqueue(session, batch)

    return dict.fromkeys(deliveries.STATUS_EVENTS, Batched(statuses_changed))
