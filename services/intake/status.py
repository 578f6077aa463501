"""An application's status is the furthest stage its events have reached.

Events arrive over several topics, so an award may be read before the decision that caused it;
ranking the stages makes the status independent of that order. A candidate's steps within its
round share one stage: they come in order on one topic and key, and may go back and forth (an
objection holds a proposed candidate, a dismissal puts it back in notice), so the latest one wins.
The money steps share one stage too, for the same reason: payout publishes them in order on one
topic and key, and they go back and forth (`payout_failed`, then `payout_requested` again once the
bank details are corrected; `paid`, then `clawback_recorded`).
"""

STAGE = {
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
}
MONEY_STEPS = tuple(status for status, stage in STAGE.items() if stage == 5)
