"""Follows the other services' events into each application's status and timeline.

A batch of status events is written at once: every step goes on its application's timeline, and
each application takes the furthest status the batch (and its past) has reached.
"""

from typing import Any
from uuid import UUID

from sqlalchemy import ARRAY, Integer, Text, bindparam, insert, text
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.status import STAGE
from services.intake.tables import applications, timeline
from shared.events import (
    AwardGrantedV1,
    ClawbackRecordedV1,
    DecisionMadeV1,
    PayoutCancelledV1,
    PayoutDeferredV1,
    PayoutFailedV1,
    PayoutFailedV2,
    PayoutHeldV1,
    PayoutPaidV1,
    PayoutPaidV2,
    PayoutRequestedV1,
    PayoutRequestedV2,
    RecognitionGrantedV1,
    SelectionConcludedV1,
    SelectionProgressedV1,
)
from shared.messaging.consumer import Batched
from shared.messaging.envelope import Envelope
from shared.messaging.payloads import Payload

_ADVANCE = text(f"""
    UPDATE {applications.fullname} AS a
       SET status = reached.status, stage = reached.stage, updated_at = now()
      FROM unnest(:ids, :statuses, :stages) AS reached(id, status, stage)
     WHERE a.id = reached.id AND a.stage <= reached.stage
""").bindparams(
    bindparam("ids", type_=ARRAY(PgUUID(as_uuid=True))),
    bindparam("statuses", type_=ARRAY(Text)),
    bindparam("stages", type_=ARRAY(Integer)),
)


def step(p: Payload) -> tuple[str, dict[str, Any]]:
    """The status an event moves its application to, and what the timeline shows of it."""
    match p:
        case DecisionMadeV1():
            # The trace explains the decision step by step, each step citing its article: officials
            # read it in the console (it names no other applicant: partners may see it too).
            return p.outcome, {
                "amount": f"{p.amount:.2f}",
                "reasons": p.reasons,
                "trace": p.trace,
                "policy_version": p.policy_version,
            }
        case SelectionConcludedV1():
            return ("selected" if p.selected else "not_selected", {"year": p.year, "rank": p.rank, "reason": p.reason})
        case SelectionProgressedV1():
            detail = {"year": p.year, "rank": p.rank, "reason": p.reason}
            if p.score is not None:
                detail["score"] = f"{p.score:.2f}"
            if p.notice_ends_on is not None:
                detail["notice_ends_on"] = p.notice_ends_on.isoformat()
            return p.step, detail
        case RecognitionGrantedV1():
            return "recognized", {
                "year": p.year,
                "rank": p.rank,
                "benefits_zh": p.benefits_zh,
                "benefits_en": p.benefits_en,
            }
        case AwardGrantedV1():
            return "awarded", {"amount": f"{p.amount:.2f}"}
        case PayoutRequestedV1():
            return "payout_requested", {"payout_id": str(p.payout_id), "amount": f"{p.amount:.2f}"}
        case PayoutPaidV1():
            return "paid", {"amount": f"{p.amount:.2f}", "settled_on": p.settled_on.isoformat()}
        case PayoutFailedV1():
            return "payout_failed", {"reason": p.reason}
        case PayoutDeferredV1():
            return "awaiting_budget", {"amount": f"{p.amount:.2f}", "year": p.year, "clause": p.clause}
        case PayoutHeldV1():
            return "payout_held", {
                "payout_id": str(p.payout_id),
                "reason": p.reason,
                "reason_code": p.reason_code,
                "what_to_do": p.what_to_do,
                "detail": p.detail,
            }
        case PayoutRequestedV2():
            return "payout_requested", {
                "payout_id": str(p.payout_id),
                "amount": f"{p.amount:.2f}",
                "expected_on": p.expected_on.isoformat(),
                "account": p.account,
            }
        case PayoutFailedV2():
            return "payout_failed", {"payout_id": str(p.payout_id), "reason_code": p.reason_code, "reason": p.reason}
        case PayoutPaidV2():
            return "paid", {
                "payout_id": str(p.payout_id),
                "amount": f"{p.amount:.2f}",
                "settled_on": p.settled_on.isoformat(),
                "bank_reference": p.bank_reference,
            }
        case PayoutCancelledV1():
            return "payout_cancelled", {"reason": p.reason}
        case ClawbackRecordedV1():
            return "clawback_recorded", {
                "amount": f"{p.amount:.2f}",
                "reason": p.reason,
                "total_clawed_back": f"{p.total_clawed_back:.2f}",
            }
    raise TypeError(f"{type(p).__name__} is not a status change")


async def statuses_changed(session: AsyncSession, batch: list[tuple[Envelope, Payload]]) -> None:
    rows, furthest = [], {}
    for event, p in batch:
        status, detail = step(p)
        rows.append(
            {
                "event_id": event.id,
                "application_id": p.application_id,
                "status": status,
                "at": event.time,
                "detail": detail,
            }
        )
        # Of equal stages the later event wins, as it would have one at a time.
        if STAGE[status] >= furthest.get(p.application_id, ("", -1))[1]:
            furthest[p.application_id] = (status, STAGE[status])
    await session.execute(insert(timeline), rows)
    ids: list[UUID] = list(furthest)
    await session.execute(
        _ADVANCE, {"ids": ids, "statuses": [furthest[i][0] for i in ids], "stages": [furthest[i][1] for i in ids]}
    )


_STATUS_CHANGED = Batched(statuses_changed)
HANDLERS = dict.fromkeys(
    (
        DecisionMadeV1,
        SelectionConcludedV1,
        SelectionProgressedV1,
        RecognitionGrantedV1,
        AwardGrantedV1,
        PayoutRequestedV1,
        PayoutPaidV1,
        PayoutFailedV1,
        PayoutDeferredV1,
        PayoutHeldV1,
        PayoutRequestedV2,
        PayoutFailedV2,
        PayoutPaidV2,
        PayoutCancelledV1,
        ClawbackRecordedV1,
    ),
    _STATUS_CHANGED,
)
