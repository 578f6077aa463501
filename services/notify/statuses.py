"""Every event that changes an application's status, mapped in one place to the status it moves the
application to, the `detail` partners receive in webhooks, and what an applicant's message is
rendered from (the detail plus a few facts the templates need).

Adding a status is adding a `case` here and its templates. Earlier versions of an event (a
`PayoutRequestedV1` published before expected dates existed) are still read: a message says what
it can.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

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
from shared.messaging.payloads import Payload

STATUS_EVENTS = (
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
)

# How the policy names a calculation: "investment_cost 4,000,000.00 × 20% = 800,000.00; cap
# 1,000,000.00 not reached → 800,000.00" or "…; capped at 2,000,000.00 → 2,000,000.00".
_RATE = re.compile(
    r"^(?P<fact>\w+) (?P<base>[\d,.]+) × (?P<rate>\d+%) = (?P<product>[\d,.]+); "
    r"(?:cap (?P<cap>[\d,.]+) not reached|capped at (?P<capped_at>[\d,.]+)) → (?P<amount>[\d,.]+)$"
)
BASES = {  # the money facts an amount is a rate of, as a letter would name them
    "investment_cost": ("投入成本", "investment cost"),
    "operating_cost": ("运营成本", "operating cost"),
    "total_investment": ("建设及运营总投入", "total investment"),
    "construction_cost": ("建设成本", "construction cost"),
    "onchain_cost": ("上链成本", "on-chain cost"),
    "conference_cost": ("会议投入", "conference cost"),
    "event_cost": ("活动投入", "event cost"),
}


@dataclass(frozen=True)
class StatusChange:
    status: str
    detail: dict[str, Any]  # what partners receive (the webhook's `detail`): a published contract
    extra: dict[str, Any] = field(default_factory=dict)  # what only the applicant's message needs

    @property
    def context(self) -> dict[str, Any]:
        return self.detail | self.extra


def _money(value) -> str:
    return f"{value:.2f}"


def calculation(trace: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The rate-and-cap step of a decision's trace, taken apart; None for other formulas."""
    for step in reversed(trace):
        if m := _RATE.match(step.get("step", "")):
            plain = {k: (v.replace(",", "") if v else None) for k, v in m.groupdict().items()}
            zh, en = BASES.get(plain["fact"], (plain["fact"], plain["fact"].replace("_", " ")))
            return {
                "base_fact": plain["fact"],
                "base_label_zh": zh,
                "base_label_en": en,
                "base": plain["base"],
                "rate": plain["rate"],
                "product": plain["product"],
                "cap": plain["cap"] or plain["capped_at"],
                "capped": plain["capped_at"] is not None,
                "amount": plain["amount"],
            }
    return None


def change(p: Payload) -> StatusChange:
    match p:
        case DecisionMadeV1():
            formula = next((s for s in reversed(p.trace) if s.get("article") not in (None, "施行期")), {})
            return StatusChange(
                p.outcome,
                {
                    "amount": _money(p.amount),
                    "clause": p.clause,
                    "reasons": p.reasons,
                    "policy_version": p.policy_version,
                },
                {
                    "article": formula.get("article"),
                    "explanation": formula.get("step"),
                    "calculation": calculation(p.trace),
                },
            )
        case SelectionConcludedV1():
            return StatusChange(
                "selected" if p.selected else "not_selected", {"year": p.year, "rank": p.rank, "reason": p.reason}
            )
        case SelectionProgressedV1():
            return StatusChange(
                p.step,
                {
                    "year": p.year,
                    "rank": p.rank,
                    "reason": p.reason,
                    "notice_ends_on": p.notice_ends_on.isoformat() if p.notice_ends_on else None,
                },
            )
        case RecognitionGrantedV1():
            return StatusChange(
                "recognized",
                {"year": p.year, "rank": p.rank, "benefits_zh": p.benefits_zh, "benefits_en": p.benefits_en},
            )
        case AwardGrantedV1():
            return StatusChange("awarded", {"amount": _money(p.amount), "clause": p.clause})
        case PayoutRequestedV1():
            return StatusChange("payout_requested", {"payout_id": str(p.payout_id), "amount": _money(p.amount)})
        case PayoutPaidV1():
            return StatusChange(
                "paid",
                {"payout_id": str(p.payout_id), "amount": _money(p.amount), "settled_on": p.settled_on.isoformat()},
            )
        case PayoutFailedV1():
            return StatusChange("payout_failed", {"payout_id": str(p.payout_id), "reason": p.reason})
        case PayoutDeferredV1():
            return StatusChange(
                "awaiting_budget", {"amount": _money(p.amount), "budget_year": p.year, "clause": p.clause}
            )
        case PayoutHeldV1():
            return StatusChange(
                "payout_held",
                {
                    "payout_id": str(p.payout_id),
                    "amount": _money(p.amount),
                    "reason": p.reason,
                    "reason_code": p.reason_code,
                    "what_to_do": p.what_to_do,
                },
            )
        case PayoutRequestedV2():
            return StatusChange(
                "payout_requested",
                {"payout_id": str(p.payout_id), "amount": _money(p.amount), "expected_on": p.expected_on.isoformat()},
            )
        case PayoutFailedV2():
            return StatusChange(
                "payout_failed", {"payout_id": str(p.payout_id), "reason_code": p.reason_code, "reason": p.reason}
            )
        case PayoutPaidV2():
            return StatusChange(
                "paid",
                {
                    "payout_id": str(p.payout_id),
                    "amount": _money(p.amount),
                    "settled_on": p.settled_on.isoformat(),
                    "bank_reference": p.bank_reference,
                },
            )
        case PayoutCancelledV1():
            return StatusChange(
                "payout_cancelled",
                {
                    "payout_id": str(p.payout_id) if p.payout_id else None,
                    "amount": _money(p.amount),
                    "reason": p.reason,
                },
            )
        case ClawbackRecordedV1():
            return StatusChange("clawback_recorded", {"amount": _money(p.amount), "reason": p.reason})
    raise TypeError(f"{type(p).__name__} is not a status change")


def status_change(p: Payload) -> tuple[str, dict[str, Any]]:
    """The status the event moves its application to (the names intake's API uses), and why."""
    c = change(p)
    return c.status, c.detail
