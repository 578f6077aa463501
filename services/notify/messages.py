"""What an applicant is told about each event, in Chinese and English."""

from shared.events import (AwardGrantedV1, DecisionMadeV1, PayoutFailedV1, PayoutPaidV1,
                           RecognitionGrantedV1, SelectionConcludedV1, SelectionProgressedV1)
from shared.messaging.payloads import Payload

_STEP = {
    "in_review": ("{year} 年度遴选已进入专家评审。", "The {year} selection panel is reviewing your application."),
    "in_notice": ("已列入 {year} 年度拟入选名单（第 {rank} 名），公示至 {ends}。",
                  "Proposed for selection in {year} (rank {rank}); in public notice until {ends}."),
    "waitlisted": ("已列入 {year} 年度遴选候补名单（第 {rank} 名）。", "On the {year} waitlist (rank {rank})."),
    "not_proposed": ("未列入 {year} 年度拟入选名单。", "Not proposed for selection in {year}."),
    "objected": ("公示期间收到异议，入选结果暂缓，待核查。",
                 "An objection was filed during the notice; your selection is on hold while it is examined."),
    "removed": ("异议经核查成立，已移出拟入选名单。", "An objection was upheld: you were removed from the proposed list."),
}

_OUTCOME = {
    "eligible": ("经审核，申请符合条件，拟补贴 {amount} 元。", "Your application is eligible for {amount} yuan."),
    "ineligible": ("经审核，申请不符合条件。", "Your application is not eligible."),
    "candidate": ("申请已纳入 {year} 年度遴选。", "Your application entered the {year} selection."),
}


def message(p: Payload) -> tuple[str, str]:
    match p:
        case DecisionMadeV1():
            zh, en = _OUTCOME[p.outcome]
            values = {"amount": f"{p.amount:,.2f}", "year": p.decided_at.year}
            return zh.format(**values), en.format(**values)
        case SelectionConcludedV1(selected=True):
            return f"恭喜，已入选 {p.year} 年度遴选（第 {p.rank} 名）。", f"Selected in the {p.year} round (rank {p.rank})."
        case SelectionConcludedV1():
            return f"未入选 {p.year} 年度遴选。", f"Not selected in the {p.year} round."
        case SelectionProgressedV1():
            zh, en = _STEP[p.step]
            values = {"year": p.year, "rank": p.rank, "ends": p.notice_ends_on}
            return zh.format(**values), en.format(**values)
        case RecognitionGrantedV1():
            return f"已获认定：{p.benefits_zh}。", f"Recognised: {p.benefits_en}."
        case AwardGrantedV1():
            return f"已获批补贴 {p.amount:,.2f} 元。", f"Awarded {p.amount:,.2f} yuan."
        case PayoutPaidV1():
            return f"补贴 {p.amount:,.2f} 元已拨付。", f"{p.amount:,.2f} yuan has been paid."
        case PayoutFailedV1():
            return f"拨付未成功：{p.reason}", f"The payment did not go through: {p.reason}"
    raise TypeError(f"nothing to tell about {type(p).__name__}")
