"""Follows the other services' events into each application's status and timeline."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.status import STAGE
from services.intake.tables import applications, timeline
from shared.events import (AwardGrantedV1, DecisionMadeV1, PayoutFailedV1, PayoutPaidV1,
                           PayoutRequestedV1, RecognitionGrantedV1, SelectionConcludedV1, SelectionProgressedV1)
from shared.messaging.envelope import Envelope


async def _record(session: AsyncSession, event: Envelope, application_id: UUID, status: str,
                  detail: dict[str, Any]) -> None:
    await session.execute(insert(timeline).values(
        event_id=event.id, application_id=application_id, status=status, at=event.time, detail=detail,
    ).on_conflict_do_nothing())
    await session.execute(
        update(applications)
        .where(applications.c.id == application_id, applications.c.stage <= STAGE[status])
        .values(status=status, stage=STAGE[status], updated_at=datetime.now(event.time.tzinfo)))


async def decision_made(session: AsyncSession, event: Envelope, p: DecisionMadeV1) -> None:
    await _record(session, event, p.application_id, p.outcome, {
        "amount": f"{p.amount:.2f}", "reasons": p.reasons, "policy_version": p.policy_version})


async def selection_concluded(session: AsyncSession, event: Envelope, p: SelectionConcludedV1) -> None:
    await _record(session, event, p.application_id, "selected" if p.selected else "not_selected",
                  {"year": p.year, "rank": p.rank, "reason": p.reason})


async def selection_progressed(session: AsyncSession, event: Envelope, p: SelectionProgressedV1) -> None:
    detail = {"year": p.year, "rank": p.rank, "reason": p.reason}
    if p.score is not None:
        detail["score"] = f"{p.score:.2f}"
    if p.notice_ends_on is not None:
        detail["notice_ends_on"] = p.notice_ends_on.isoformat()
    await _record(session, event, p.application_id, p.step, detail)


async def recognition_granted(session: AsyncSession, event: Envelope, p: RecognitionGrantedV1) -> None:
    await _record(session, event, p.application_id, "recognized",
                  {"year": p.year, "rank": p.rank, "benefits_zh": p.benefits_zh, "benefits_en": p.benefits_en})


async def award_granted(session: AsyncSession, event: Envelope, p: AwardGrantedV1) -> None:
    await _record(session, event, p.application_id, "awarded", {"amount": f"{p.amount:.2f}"})


async def payout_requested(session: AsyncSession, event: Envelope, p: PayoutRequestedV1) -> None:
    await _record(session, event, p.application_id, "payout_requested",
                  {"payout_id": str(p.payout_id), "amount": f"{p.amount:.2f}"})


async def payout_paid(session: AsyncSession, event: Envelope, p: PayoutPaidV1) -> None:
    await _record(session, event, p.application_id, "paid",
                  {"amount": f"{p.amount:.2f}", "settled_on": p.settled_on.isoformat()})


async def payout_failed(session: AsyncSession, event: Envelope, p: PayoutFailedV1) -> None:
    await _record(session, event, p.application_id, "payout_failed", {"reason": p.reason})


HANDLERS = {
    DecisionMadeV1: decision_made, SelectionConcludedV1: selection_concluded,
    SelectionProgressedV1: selection_progressed, RecognitionGrantedV1: recognition_granted,
    AwardGrantedV1: award_granted, PayoutRequestedV1: payout_requested,
    PayoutPaidV1: payout_paid, PayoutFailedV1: payout_failed,
}
