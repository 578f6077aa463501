"""The context each status's message is rendered from, by example.

A sample names every key a template of that status may use: a real context always has them all
(`None` where the event or the application did not say), so a partner's template that renders
against its sample renders against every real context too. A context is the status's public detail
(`shared/statuses.py`: every key of it), notify's own extra and the application's facts. The
snapshot tests render every status in both languages from these samples.
"""

from typing import Any

# What every message knows of the application (from its submission) and where to send people.
COMMON: dict[str, Any] = {
    "application_id": "5f0c6d1e-8a55-4f64-9d55-0b7f3c1d2e4a",
    "applicant_name": "成都链网科技有限公司",
    "credit_code": "91510100MA61R8XN39",
    "clause": "1.1-node",
    "clause_title_zh": "国家、省级区块链基础设施节点在蓉建设补贴",
    "clause_title_en": "Building a national or provincial blockchain-infrastructure node in Chengdu",
    "occurred_on": "2024-03-01",
    "notice_url": "https://subsidy.example.cn/notices",
}

_DECISION: dict[str, Any] = {
    "amount": "0.00",
    "policy_version": "chengdu-blockchain-2023",
    "reasons": [],
    "trace": [],
    "article": None,
    "explanation": None,
    "explanation_zh": None,
    "calculation": None,
}
_SELECTION = {
    "clause": "2.3-alliance-chain",
    "clause_title_zh": "重点行业联盟链补贴",
    "clause_title_en": "Key industry alliance chain",
    "year": 2024,
    "rank": None,
    "reason": "",
    "score": None,
    "notice_ends_on": None,
}

SAMPLES: dict[str, dict[str, Any]] = {
    "eligible": _DECISION
    | {
        "amount": "800000.00",
        "article": "一（一）",
        "explanation": "investment_cost 4,000,000.00 × 20% = 800,000.00; cap 1,000,000.00 not reached → 800,000.00",
        "explanation_zh": "investment_cost 4,000,000.00 元 × 20% = 800,000.00 元；"
        "未超过上限 1,000,000.00 元 → 800,000.00 元",
        "calculation": {
            "base_fact": "investment_cost",
            "base_label_zh": "投入成本",
            "base_label_en": "investment cost",
            "base": "4000000.00",
            "rate": "20%",
            "product": "800000.00",
            "cap": "1000000.00",
            "capped": False,
            "amount": "800000.00",
        },
    },
    "ineligible": _DECISION
    | {
        "clause": "4.10-conference",
        "clause_title_zh": "区块链会议承办补贴",
        "clause_title_en": "Organising a blockchain conference",
        "article": "四（十）",
        "reasons": [
            {
                "fact": "attendees",
                "en": "needs attendees ≥ 500, has 300; 200 more would qualify (参会人数达 500 人以上)",
                "zh": "不符合“参会人数达 500 人以上”：要求 attendees ≥ 500，实际为 300，还差 200",
            }
        ],
    },
    "candidate": _DECISION
    | _SELECTION
    | {
        "amount": "500000.00",
        "article": "二（三）",
        "explanation": "admitted to the 2024 selection: at most 10 a year, ranked by higher review_score, then "
        "higher total_investment, then earlier submission; final after 5 working days of public "
        "notice (公示)",
        "explanation_zh": "纳入 2024 年度遴选：每年不超过 10 个，按 review_score 由高到低，"
        "再按 total_investment 由高到低，再按提交时间先后排序；公示 5 个工作日后确定",
        "round": {"state": "open", "deadline": "2024-09-20T17:00:00+08:00", "quota": 10, "notice_ends_on": None},
    },
    "in_review": _SELECTION,
    "in_notice": _SELECTION | {"rank": 3, "notice_ends_on": "2024-10-09"},
    "waitlisted": _SELECTION | {"rank": 11},
    "not_proposed": _SELECTION | {"reason": "score 55.00 is below the round's minimum 60.00"},
    "objected": _SELECTION | {"rank": 3, "notice_ends_on": "2024-10-09"},
    "removed": _SELECTION | {"reason": "the objection was upheld: fewer than 4 nodes in operation"},
    "selected": _SELECTION | {"rank": 3},
    "not_selected": _SELECTION | {"rank": 12, "reason": "ranked 12th of 10 places"},
    "recognized": _SELECTION
    | {
        "clause": "3.6-demo-base",
        "clause_title_zh": "区块链创新应用示范基地",
        "clause_title_en": "Blockchain innovation-application demonstration base",
        "rank": 1,
        "benefits_zh": "授牌",
        "benefits_en": "a plaque (授牌)",
    },
    "awarded": {"amount": "800000.00"},
    "awaiting_budget": {"amount": "800000.00", "year": 2025},
    "payout_requested": {
        "payout_id": "0b8e2d4c-3f7a-4c1e-9a0d-6e5f4b3a2c1d",
        "amount": "800000.00",
        "expected_on": "2024-04-15",
        "account": "****3445",
    },
    "payout_held": {
        "payout_id": "0b8e2d4c-3f7a-4c1e-9a0d-6e5f4b3a2c1d",
        "amount": "800000.00",
        "reason": "payee_invalid",
        "reason_code": "AC01",
        "what_to_do": "Correct the bank account number in the payee details",
        "detail": "",
    },
    "paid": {
        "payout_id": "0b8e2d4c-3f7a-4c1e-9a0d-6e5f4b3a2c1d",
        "amount": "800000.00",
        "settled_on": "2024-04-12",
        "bank_reference": "CD20240412000123",
    },
    "payout_failed": {
        "payout_id": "0b8e2d4c-3f7a-4c1e-9a0d-6e5f4b3a2c1d",
        "amount": "800000.00",
        "reason_code": "AC04",
        "reason": "closed account number",
    },
    "payout_cancelled": {
        "payout_id": "0b8e2d4c-3f7a-4c1e-9a0d-6e5f4b3a2c1d",
        "amount": "800000.00",
        "reason": "the award was revoked after an audit",
    },
    "withdrawn": {"reason": "the project was cancelled", "by": "chengdu-portal"},
    "clawback_recorded": {
        "amount": "200000.00",
        "reason": "the audited investment cost was 3,000,000.00, not 4,000,000.00",
        "total_clawed_back": "200000.00",
    },
    # Not a status: a clause an earlier applicant could claim and has not (免申即享), told with how
    # to claim. It names no application (`application_id` and `occurred_on` stay null).
    "match_found": {
        "clause": "1.2-industry-node",
        "clause_title_zh": "产业区块链基础设施节点建设补贴",
        "clause_title_en": "Building a node of Chengdu's industrial blockchain infrastructure",
        "article": "一（二）",
        "policy_version": "chengdu-blockchain-2023",
        "amount": "500000.00",
        "selection": False,
        "claim_route": "POST /v1/applications",
        "first_day": "2023-02-10",
        "last_day": "2025-02-09",
    },
}


def sample(status: str) -> dict[str, Any]:
    """The full sample context of a status."""
    return COMMON | SAMPLES[status]


def context(status: str, detail: dict[str, Any], application: dict[str, Any]) -> dict[str, Any]:
    """A real context: every key of the status's sample, set from the application's facts and the
    status's detail where they say, `None` where they do not."""
    keys = dict.fromkeys(COMMON | SAMPLES.get(status, {}))
    return (
        keys
        | {k: v for k, v in application.items() if v is not None}
        | {k: v for k, v in detail.items() if v is not None or k not in application}
    )
