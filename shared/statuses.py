"""The status vocabulary: which status each status event moves its application to, how far along
that status is, and the one detail partners see of it — on intake's timeline and in notify's
webhooks alike, so the two can never disagree.

Each status has one detail shape whichever event (or version of an event) reached it: every key is
always there, `None` where the event did not say (a `PayoutRequestedV1`, published before expected
dates existed, has no `expected_on`). Adding a status event is adding it to `STATUS_EVENTS`, a
`case` below, its stage if its status is new, and notify's templates for that status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from shared.events import (
    ApplicationWithdrawnV1,
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
from shared.messaging.payloads import Payload

# An application's status is the furthest stage its events have reached. Events arrive over several
# topics, so an award may be read before the decision that caused it; ranking the stages makes the
# status independent of that order. A candidate's steps within its round share one stage: they come
# in order on one topic and key, and may go back and forth (an objection holds a proposed candidate,
# a dismissal puts it back in notice), so the latest one wins. The money steps share one stage too,
# for the same reason: payout publishes them in order on one topic and key, and they go back and
# forth (`payout_failed`, then `payout_requested` again once the bank details are corrected; `paid`,
# then `clawback_recorded`). A withdrawal shares that stage: it ends whatever came before it (a
# decision or selection step read after it does not undo it), and what payout does about it — the
# award's payment cancelled, or paid all the same when the money had already left — comes after
# it, on the payouts topic, and is the latest word.
STAGE: dict[str, int] = {
    "submitted": 0,
    "eligible": 1,
    "ineligible": 1,
    "candidate": 1,
    "in_review": 2,
    "in_notice": 2,
    "waitlisted": 2,
    "not_proposed": 2,
    "objected": 2,
    "removed": 2,
    "selected": 3,
    "not_selected": 3,
    "awarded": 4,
    "recognized": 4,
    "awaiting_budget": 5,
    "payout_held": 5,
    "payout_requested": 5,
    "payout_failed": 5,
    "paid": 5,
    "payout_cancelled": 5,
    "clawback_recorded": 5,
    "withdrawn": 5,
}
MONEY_STEPS = tuple(status for status, stage in STAGE.items() if stage == STAGE["paid"])

STATUS_EVENTS: tuple[type[Payload], ...] = (
    DecisionMadeV1,
    SelectionProgressedV1,
    SelectionConcludedV1,
    AwardGrantedV1,
    RecognitionGrantedV1,
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
    ApplicationWithdrawnV1,
)


@dataclass(frozen=True)
class StatusChange:
    status: str
    detail: dict[str, Any]  # what partners see of it: a published contract, in JSON types only

    @property
    def stage(self) -> int:
        return STAGE[self.status]


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _selection(year: int, rank: int | None, reason: str) -> dict[str, Any]:
    return {"year": year, "rank": rank, "reason": reason}


def _payout_requested(p: PayoutRequestedV1 | PayoutRequestedV2) -> dict[str, Any]:
    return {
        "payout_id": str(p.payout_id),
        "amount": _decimal(p.amount),
        "expected_on": _day(p.expected_on) if isinstance(p, PayoutRequestedV2) else None,
        "account": p.account if isinstance(p, PayoutRequestedV2) else None,  # masked: ****3445
    }


def _paid(p: PayoutPaidV1 | PayoutPaidV2) -> dict[str, Any]:
    return {
        "payout_id": str(p.payout_id),
        "amount": _decimal(p.amount),
        "settled_on": _day(p.settled_on),
        "bank_reference": p.bank_reference if isinstance(p, PayoutPaidV2) else None,
    }


def _payout_failed(p: PayoutFailedV1 | PayoutFailedV2) -> dict[str, Any]:
    return {
        "payout_id": str(p.payout_id),
        "reason_code": p.reason_code if isinstance(p, PayoutFailedV2) else None,
        "reason": p.reason,
    }


def status_change(p: Payload) -> StatusChange:
    """The status the event moves its application to, and the detail partners see of it."""
    match p:
        case DecisionMadeV1():
            # The trace explains the decision step by step, each step citing its article: officials
            # read it in the console (it names no other applicant: partners may see it too).
            return StatusChange(
                p.outcome,
                {
                    "amount": _decimal(p.amount),
                    "clause": p.clause,
                    "reasons": p.reasons,
                    "trace": p.trace,
                    "policy_version": p.policy_version,
                },
            )
        case SelectionProgressedV1():
            return StatusChange(
                p.step,
                _selection(p.year, p.rank, p.reason)
                | {"score": _decimal(p.score), "notice_ends_on": _day(p.notice_ends_on)},
            )
        case SelectionConcludedV1():
            return StatusChange("selected" if p.selected else "not_selected", _selection(p.year, p.rank, p.reason))
        case RecognitionGrantedV1():
            return StatusChange(
                "recognized",
                {"year": p.year, "rank": p.rank, "benefits_zh": p.benefits_zh, "benefits_en": p.benefits_en},
            )
        case AwardGrantedV1():
            return StatusChange("awarded", {"amount": _decimal(p.amount), "clause": p.clause})
        case PayoutDeferredV1():
            return StatusChange("awaiting_budget", {"amount": _decimal(p.amount), "year": p.year, "clause": p.clause})
        case PayoutHeldV1():
            return StatusChange(
                "payout_held",
                {
                    "payout_id": str(p.payout_id),
                    "amount": _decimal(p.amount),
                    "reason": p.reason,
                    "reason_code": p.reason_code,
                    "what_to_do": p.what_to_do,
                    "detail": p.detail,  # the bank's own words, when it gave any
                },
            )
        case PayoutRequestedV1() | PayoutRequestedV2():
            return StatusChange("payout_requested", _payout_requested(p))
        case PayoutFailedV1() | PayoutFailedV2():
            return StatusChange("payout_failed", _payout_failed(p))
        case PayoutPaidV1() | PayoutPaidV2():
            return StatusChange("paid", _paid(p))
        case PayoutCancelledV1():
            return StatusChange(
                "payout_cancelled",
                {
                    "payout_id": None if p.payout_id is None else str(p.payout_id),
                    "amount": _decimal(p.amount),
                    "reason": p.reason,
                },
            )
        case ClawbackRecordedV1():
            return StatusChange(
                "clawback_recorded",
                {
                    "amount": _decimal(p.amount),
                    "reason": p.reason,
                    "total_clawed_back": _decimal(p.total_clawed_back),
                },
            )
        case ApplicationWithdrawnV1():
            return StatusChange("withdrawn", {"reason": p.reason, "by": p.by})
    raise TypeError(f"{type(p).__name__} is not a status change")
