"""An application's status is the furthest stage its events have reached.

Events arrive over several topics, so an award may be read before the decision that caused it;
ranking the stages makes the status independent of that order. A candidate's steps within its
round share one stage: they come in order on one topic and key, and may go back and forth (an
objection holds a proposed candidate, a dismissal puts it back in notice), so the latest one wins.
"""

STAGE = {
    "submitted": 0,
    "eligible": 1, "ineligible": 1, "candidate": 1,
    "in_review": 2, "in_notice": 2, "waitlisted": 2, "not_proposed": 2, "objected": 2, "removed": 2,
    "selected": 3, "not_selected": 3,
    "awarded": 4, "recognized": 4,
    "payout_requested": 5,
    "paid": 6, "payout_failed": 6,
}
