"""What a status change tells the applicant on top of what it tells partners.

The status and its public detail are the shared vocabulary's (`shared/statuses.py`): the webhook
sends that detail as it is, and intake's timeline shows the same. An applicant's message is rendered
from that detail plus a few facts only the templates need (`extra`): a decision's article, its
explanation (in English and Chinese), and its calculation taken apart from the trace. That is notify's wording, not the
vocabulary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol, cast, runtime_checkable
from uuid import UUID

from shared.events import DecisionMadeV1
from shared.messaging.payloads import Payload
from shared.statuses import status_change

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
class Notice:
    status: str
    detail: dict[str, Any]  # what partners receive (the webhook's `detail`): the shared vocabulary's
    extra: dict[str, Any]  # what only the applicant's message needs

    @property
    def context(self) -> dict[str, Any]:
        return self.detail | self.extra


def calculation(trace: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The rate-and-cap step of a decision's trace, taken apart; None for other formulas."""
    for step in reversed(trace):
        if m := _RATE.match(step.get("step", "")):
            plain = {k: (v.replace(",", "") if v else None) for k, v in m.groupdict().items()}
            fact = m["fact"]  # a word, always there: nothing to strip
            zh, en = BASES.get(fact, (fact, fact.replace("_", " ")))
            return {
                "base_fact": fact,
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


@runtime_checkable
class AboutAnApplication(Protocol):
    """What every status event names: the application it moves, and its applicant."""

    @property
    def application_id(self) -> UUID: ...

    @property
    def credit_code(self) -> str: ...


_NAMES_AN_APPLICATION: dict[type, bool] = {}  # per event type: isinstance on a protocol is slow


def about(p: Payload) -> AboutAnApplication:
    kind = type(p)
    if kind not in _NAMES_AN_APPLICATION:  # an event type's fields are the same in all its events
        _NAMES_AN_APPLICATION[kind] = isinstance(p, AboutAnApplication)
    if not _NAMES_AN_APPLICATION[kind]:
        raise TypeError(f"{kind.__name__} is about no application")
    return cast(AboutAnApplication, p)


def notice(p: Payload) -> Notice:
    c = status_change(p)
    return Notice(c.status, c.detail, extra(p))


def extra(p: Payload) -> dict[str, Any]:
    """What the applicant's message says beyond the public detail: how a decision was reached."""
    if not isinstance(p, DecisionMadeV1):
        return {}
    formula: dict[str, Any] = next((s for s in reversed(p.trace) if s.get("article") not in (None, "施行期")), {})
    return {
        "article": formula.get("article"),
        "explanation": formula.get("step"),
        # Decisions recorded before steps carried Chinese have none: the English is shown instead.
        "explanation_zh": formula.get("zh") or formula.get("step"),
        "calculation": calculation(p.trace),
    }
