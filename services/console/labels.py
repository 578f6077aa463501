"""What the console calls things, in Chinese and English."""

ROLES = {
    "admin": ("管理员", "administrator"),
    "reviewer": ("评审专家", "reviewer"),
    "finance": ("财务", "finance"),
    "policy_admin": ("政策管理", "policy official"),
    "partner": ("申报平台", "partner"),
}

APPLICATION_STATUS = {
    "submitted": ("已提交", "submitted"),
    "eligible": ("符合条件", "eligible"),
    "ineligible": ("不符合条件", "ineligible"),
    "candidate": ("遴选候选", "selection candidate"),
    "in_review": ("评审中", "in review"),
    "in_notice": ("公示中", "in public notice"),
    "waitlisted": ("候补", "waitlisted"),
    "not_proposed": ("未拟入选", "not proposed"),
    "objected": ("异议核查中", "under objection"),
    "removed": ("已移除", "removed"),
    "selected": ("入选", "selected"),
    "not_selected": ("未入选", "not selected"),
    "awarded": ("已奖励", "awarded"),
    "recognized": ("已认定", "recognised"),
    "payout_requested": ("已申请拨付", "payout requested"),
    "paid": ("已拨付", "paid"),
    "payout_failed": ("拨付失败", "payout failed"),
    "awaiting_budget": ("待预算", "awaiting budget"),
    "payout_held": ("暂缓拨付", "payout held"),
    "payout_cancelled": ("已取消拨付", "payout cancelled"),
    "clawback_recorded": ("已追回", "clawback recorded"),
    "withdrawn": ("已撤回", "withdrawn"),
}

ROUND_STATE = {
    "open": ("申报中", "open"),
    "closed": ("已截止", "closed"),
    "in_review": ("评审中", "in review"),
    "ranked": ("已排名", "ranked"),
    "in_notice": ("公示中", "in public notice"),
    "concluded": ("已结束", "concluded"),
}

# The one move an admin may make from each state (quota refuses any other, and says why).
NEXT_STATE = {
    "open": "closed",
    "closed": "in_review",
    "in_review": "ranked",
    "ranked": "in_notice",
    "in_notice": "concluded",
}

STANDING = {
    "awaiting_round": ("待入轮", "awaiting its round"),
    "refused": ("未受理", "refused"),
    "candidate": ("候选", "candidate"),
    "proposed": ("拟入选", "proposed"),
    "waitlisted": ("候补", "waitlisted"),
    "below_minimum": ("低于最低分", "below the minimum score"),
    "held": ("异议核查中", "held by an objection"),
    "removed": ("已移除", "removed"),
    "selected": ("入选", "selected"),
    "not_selected": ("未入选", "not selected"),
}

MY_REVIEW = {
    "none": ("未评审", "not reviewed"),
    "draft": ("草稿", "draft"),
    "submitted": ("已提交", "submitted"),
    "recused": ("已回避", "recused"),
}

OBJECTION_STATUS = {"open": ("待处理", "open"), "upheld": ("成立", "upheld"), "dismissed": ("驳回", "dismissed")}

# A payout's course: held → requested → sent → accepted → paid; a rejected one is superseded by a new
# payout once the bank details are corrected.
PAYOUT_STATUS = {
    "held": ("暂缓", "held"),
    "requested": ("已申请", "requested"),
    "sent": ("已报送财政", "sent to finance"),
    "accepted": ("财政已受理", "accepted by finance"),
    "paid": ("已拨付", "paid"),
    "rejected": ("银行退回", "rejected"),
    "superseded": ("已重新拨付", "superseded"),
    "cancelled": ("已取消", "cancelled"),
}

HOLD_REASON = {
    "payee_missing": ("未登记收款账户", "no bank account on file"),
    "payee_invalid": ("收款账户信息有误", "bank account not valid"),
    "payout_rejected": ("银行退回", "returned by the bank"),
}

# ISO 20022 status reasons the finance system gives (the same list notify tells applicants).
BANK_CODE = {
    "AC01": ("收款账号有误", "account number wrong"),
    "AC04": ("收款账户已销户", "account closed"),
    "AC06": ("收款账户已冻结", "account blocked"),
    "AG01": ("该账户不允许此类交易", "transaction not allowed"),
    "AM04": ("付款方资金不足", "insufficient funds"),
    "BE01": ("收款人名称与账户不符", "name does not match"),
    "MD07": ("收款人已注销", "payee deceased or dissolved"),
    "RC01": ("开户行代码有误", "bank code wrong"),
    "MS03": ("银行未说明原因", "no reason given"),
    "FF01": ("报文格式有误", "invalid file format"),
    "NARR": ("见说明", "see the narrative"),
}

# Fixed messages shown after an action succeeded (the page is fetched again: post, redirect, get).
DONE = {
    "draft_saved": ("评审草稿已保存。", "Your draft review was saved."),
    "review_submitted": ("评审已提交，不可再修改。", "Your review was submitted; it can no longer change."),
    "recused": ("已申报利益冲突并回避该候选对象。", "Conflict declared: you are recused from this candidate."),
    "moved": ("轮次状态已变更。", "The round moved to its next state."),
    "assigned": ("评审专家已加入评审组。", "The reviewer is on the panel."),
    "upheld": (
        "异议成立：该候选对象已移除，候补递补。",
        "Objection upheld: the candidate is removed and the waitlist moves up.",
    ),
    "dismissed": ("异议已驳回。", "Objection dismissed."),
    "created": ("评选轮次已创建。", "The round was opened."),
    "replayed": (
        "死信已重放：事件已送回原主题，并按编号记录，不会再次重放。",
        "The dead letter was replayed: the event is back on its topic, recorded by id so it is never replayed twice.",
    ),
    "policy_drafted": (
        "草稿已保存，须由另一名政策管理人员批准后生效。",
        "The draft was saved; another policy official must approve it before it takes effect.",
    ),
    "policy_approved": (
        "版本已批准：各服务将在数秒内将其纳入政策库，无需重启。",
        "The version was approved: every service adds it to its policy book within seconds, with no restart.",
    ),
    "policy_withdrawn": ("版本已撤回，其版本号不再使用。", "The version was withdrawn; its id is never used again."),
    "award_cancelled": (
        "奖励已取消：其预留已释放，预算可再用；操作人已记录。",
        "The award was cancelled: its reservation went back to the budget; you are recorded as the one who did it.",
    ),
    "clawback_recorded": (
        "追回已记录：冲正分录与应收款已入账；操作人已记录。",
        "The clawback was recorded: a reversing entry and a receivable, with you as the one who recorded it.",
    ),
    "application_withdrawn": (
        "申请已撤回：不再审核、不再拨付；尚未报送财政的拨付将被取消；操作人已记录。",
        "The application was withdrawn: nothing more is decided or paid on it; a payout not yet with the finance "
        "system is cancelled; you are recorded as the one who did it.",
    ),
    "payee_corrected": (
        "收款账户已更正：因账户问题暂缓或被退回的拨付将随即重新申请。",
        "The bank details were corrected: a payout held or returned for them is requested again at once.",
    ),
}

VERSION_STATE = {
    "draft": ("草稿", "draft"),
    "approved": ("已批准", "approved"),
    "withdrawn": ("已撤回", "withdrawn"),
}

VERSION_STEP = {
    "drafted": ("起草", "drafted"),
    "redrafted": ("修改草稿", "redrafted"),
    "approved": ("批准", "approved"),
    "withdrawn": ("撤回", "withdrawn"),
}

CLAUSE_CHANGE = {
    "added": ("新增", "new"),
    "removed": ("删除", "removed"),
    "changed": ("有变更", "changed"),
}

WHATIF_COUNTS = {
    "applications": ("重算申请", "replayed"),
    "skipped": ("跳过（未保留申请）", "skipped: application not kept"),
    "changed": ("结果变化", "changed"),
    "gained": ("增加", "paid more"),
    "lost": ("减少", "paid less"),
    "newly_eligible": ("新增符合", "newly eligible"),
    "no_longer_eligible": ("不再符合", "no longer eligible"),
}


def pair(table: dict, key) -> tuple[str, str]:
    return table.get(key, (str(key), str(key)))
