"""What a partner's webhook is owed: one delivery per status change of one of its applications.

A delivery is written in the transaction that handles the status event, so it exists if and only
if the event was handled; `worker.py` sends it later, outside any handler. Its body is built here
once and stored, so every retry sends (and signs) the very same bytes.
"""

import uuid
from typing import Any

import orjson
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.tables import webhook_deliveries
from shared.events import (AwardGrantedV1, DecisionMadeV1, PayoutFailedV1, PayoutPaidV1,
                           PayoutRequestedV1, RecognitionGrantedV1, SelectionConcludedV1, SelectionProgressedV1)
from shared.messaging.envelope import Envelope
from shared.messaging.payloads import Payload

STATUS_CHANGED = "application.status_changed"
STATUS_EVENTS = (DecisionMadeV1, SelectionProgressedV1, SelectionConcludedV1, AwardGrantedV1,
                 RecognitionGrantedV1, PayoutRequestedV1, PayoutPaidV1, PayoutFailedV1)


def status_change(p: Payload) -> tuple[str, dict[str, Any]]:
    """The status the event moves its application to (the names intake's API uses), and why."""
    match p:
        case DecisionMadeV1():
            return p.outcome, {"amount": f"{p.amount:.2f}", "clause": p.clause, "reasons": p.reasons,
                               "policy_version": p.policy_version}
        case SelectionConcludedV1():
            return "selected" if p.selected else "not_selected", {
                "year": p.year, "rank": p.rank, "reason": p.reason}
        case SelectionProgressedV1():
            return p.step, {"year": p.year, "rank": p.rank, "reason": p.reason,
                            "notice_ends_on": p.notice_ends_on.isoformat() if p.notice_ends_on else None}
        case RecognitionGrantedV1():
            return "recognized", {"year": p.year, "rank": p.rank, "benefits_zh": p.benefits_zh,
                                  "benefits_en": p.benefits_en}
        case AwardGrantedV1():
            return "awarded", {"amount": f"{p.amount:.2f}", "clause": p.clause}
        case PayoutRequestedV1():
            return "payout_requested", {"payout_id": str(p.payout_id), "amount": f"{p.amount:.2f}"}
        case PayoutPaidV1():
            return "paid", {"payout_id": str(p.payout_id), "amount": f"{p.amount:.2f}",
                            "settled_on": p.settled_on.isoformat()}
        case PayoutFailedV1():
            return "payout_failed", {"payout_id": str(p.payout_id), "reason": p.reason}
    raise TypeError(f"{type(p).__name__} is not a status change")


def delivery_id(event: Envelope) -> uuid.UUID:
    # Derived from the event, so a redelivered event can only find its delivery already there.
    return uuid.uuid5(uuid.NAMESPACE_URL, f"notify-webhook:{event.id}")


def body(event: Envelope, p: Payload) -> bytes:
    status, detail = status_change(p)
    return orjson.dumps({
        "id": str(delivery_id(event)), "type": STATUS_CHANGED, "application_id": str(p.application_id),
        "status": status, "event_type": event.type, "occurred_at": event.time.isoformat(),
        "detail": detail,
    })


async def enqueue(session: AsyncSession, changes: list[tuple[Envelope, Payload]]) -> None:
    """Owes the applications' partners these status changes.

    Whether the partner has a webhook is decided by the worker, not here: the application's
    submission and its partner's registration travel on other topics than its status events, so
    either may not have been read yet. The worker attaches the partner once known, and drops the
    delivery only if that partner still has no webhook a grace period after the status change.
    """
    await session.execute(insert(webhook_deliveries), [
        {"id": delivery_id(event), "application_id": p.application_id, "body": body(event, p)}
        for event, p in changes])
