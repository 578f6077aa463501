"""An application's status is the furthest stage its events have reached.

Events arrive over several topics, so an award may be read before the decision that caused it;
ranking the stages makes the status independent of that order.
"""

STAGE = {
    "submitted": 0,
    "eligible": 1, "ineligible": 1, "candidate": 1,
    "selected": 2, "not_selected": 2,
    "awarded": 3,
    "payout_requested": 4,
    "paid": 5, "payout_failed": 5,
}
