"""An award's and a payout's states, the only moves between them and why each is made, free of I/O.

An award is charged to a budget line: it waits for the line to reach it, is reserved on it, and is
paid or cancelled. A reserved award has one payout on its way at a time: held until the
applicant's bank details are usable, requested, sent to the finance system in a batch, accepted,
and paid when the bank books it; one the bank rejects is superseded by a new payout once the
details are corrected, or cancelled.

Every status change passes `check`: a move the table below does not hold is refused
(`invalid_transition`), never ignored. An answer that arrives after the payout moved past it is
recognised by `already`, for the callers that accept it as a repeat.
"""

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from shared.refusal import Refused


class AwardState(StrEnum):
    AWAITING_BUDGET = "awaiting_budget"  # granted; waits, in order, for its budget line to reach it
    RESERVED = "reserved"  # its amount is held on the budget line (a pending transfer)
    PAID = "paid"  # the bank booked its payout; the reservation is posted
    CANCELLED = "cancelled"  # cancelled before its money left; the reservation voided


class PayoutState(StrEnum):
    HELD = "held"  # waits for usable bank details
    REQUESTED = "requested"  # waits for the next batch to the finance system
    SENT = "sent"  # in a batch with the finance system
    ACCEPTED = "accepted"  # the finance system accepted it; the bank has yet to book it
    REJECTED = "rejected"  # the bank refused it; waits for corrected bank details
    PAID = "paid"  # the bank booked it
    SUPERSEDED = "superseded"  # rejected, and replaced by a new payout of the same award
    CANCELLED = "cancelled"  # its award was cancelled before the money left


Reason = tuple[str, str]  # why the move is made, in English and Chinese

CANCELS = ("an admin cancels the award", "管理员取消该补贴")

# What an award or a payout starts as, and why.
AWARD_STARTS: Mapping[AwardState, Reason] = {
    AwardState.AWAITING_BUDGET: ("its budget line cannot hold it yet", "预算额度暂不足"),
    AwardState.RESERVED: ("its budget line holds it", "预算额度足以覆盖"),
    # Awards come on another topic than withdrawals: one read after its application was withdrawn.
    AwardState.CANCELLED: ("its application was withdrawn before the award was read", "获奖前申请已撤回"),
}
PAYOUT_STARTS: Mapping[PayoutState, Reason] = {
    PayoutState.HELD: ("the applicant's bank details are missing or unusable", "申请人收款账户缺失或无效"),
    PayoutState.REQUESTED: ("the applicant's bank details are usable", "申请人收款账户有效"),
}

# Every allowed move: state → next state → why. A state with no moves is final.
AWARD_MOVES: Mapping[AwardState, Mapping[AwardState, Reason]] = {
    AwardState.AWAITING_BUDGET: {
        AwardState.RESERVED: ("its budget line is raised or freed enough to reach it", "预算额度增加或释放后足以覆盖"),
        AwardState.CANCELLED: CANCELS,
    },
    AwardState.RESERVED: {
        AwardState.PAID: ("the bank books its payout", "银行入账"),
        AwardState.CANCELLED: CANCELS,
    },
    AwardState.PAID: {},
    AwardState.CANCELLED: {},
}
PAYOUT_MOVES: Mapping[PayoutState, Mapping[PayoutState, Reason]] = {
    PayoutState.HELD: {
        PayoutState.REQUESTED: ("usable bank details are given", "申请人提供了有效的收款账户"),
        PayoutState.CANCELLED: CANCELS,
    },
    PayoutState.REQUESTED: {
        PayoutState.SENT: ("it leaves in a batch to the finance system", "随批次发送至财政系统"),
        # Details taken before the finance exchange's limits (an account name over 140 characters).
        PayoutState.HELD: (
            "its bank details fail the checks made again as the batch is made",
            "组批时复核收款账户未通过",
        ),
        # The first interface answered each payout as it was requested, before batches.
        PayoutState.REJECTED: ("the finance system rejects it (first interface)", "财政系统退回（第一版接口）"),
        PayoutState.CANCELLED: CANCELS,
    },
    PayoutState.SENT: {
        PayoutState.ACCEPTED: ("the finance system accepts it", "财政系统受理"),
        PayoutState.REJECTED: ("the finance system rejects it", "财政系统退回"),
        PayoutState.PAID: ("the bank books it", "银行入账"),
    },
    PayoutState.ACCEPTED: {
        PayoutState.PAID: ("the bank books it", "银行入账"),
        PayoutState.REJECTED: ("the bank returns it", "银行退汇"),
    },
    PayoutState.REJECTED: {
        PayoutState.SUPERSEDED: ("corrected bank details make a new payout", "更正收款账户后重新拨付"),
        PayoutState.CANCELLED: CANCELS,
    },
    PayoutState.PAID: {},
    PayoutState.SUPERSEDED: {},
    PayoutState.CANCELLED: {},
}

# The payouts still on their way (not final): an award has one of them at a time.
OPEN_PAYOUTS = tuple(s for s, moves in PAYOUT_MOVES.items() if moves)
# A payout the finance system holds: its money may be leaving, so its award cannot be cancelled.
IN_FLIGHT = (PayoutState.SENT, PayoutState.ACCEPTED)

S = TypeVar("S", AwardState, PayoutState)


def moves(current: S) -> Mapping[S, Reason]:
    """The states `current` may become, each with why."""
    if isinstance(current, AwardState):
        return AWARD_MOVES[current]
    return PAYOUT_MOVES[current]


def check(current: S, target: S) -> None:
    """Refuses any move the table does not hold, naming both states and what may come next."""
    allowed = moves(current)
    if target in allowed:
        return
    en_name, zh_name = ("an award", "补贴") if isinstance(current, AwardState) else ("a payout", "拨付指令")
    if allowed:
        en_next = "; ".join(f"it becomes {s.value} when {why_en}" for s, (why_en, _) in allowed.items())
        zh_next = "；".join(f"{why_zh}后变为 {s.value}" for s, (_, why_zh) in allowed.items())
    else:
        en_next, zh_next = f"{current.value} is final", f"{current.value} 为终态"
    raise Refused(
        "invalid_transition",
        f"{en_name} that is {current.value} cannot become {target.value}: {en_next}",
        f"{zh_name}当前为 {current.value}，不能变为 {target.value}：{zh_next}",
    )


def reachable(start: S) -> set[S]:
    """`start` and every state some sequence of moves leads to from it."""
    seen, todo = {start}, [start]
    while todo:
        for after in moves(todo.pop()):
            if after not in seen:
                seen.add(after)
                todo.append(after)
    return seen


def already(current: S, target: S) -> bool:
    """Whether a move to `target` is news already acted on: `current` is `target` or lies beyond it
    (an acceptance reported after the booking, a rejection reported again after it was acted on)."""
    return current in reachable(target)


def reported(current: PayoutState, accepted: bool) -> PayoutState | None:
    """What the finance system's status report on a payout makes of it: the state it moves to, or
    None when the payout is already past the answer. A report answers a batch, so a payout never
    sent cannot be rejected by one."""
    target = PayoutState.ACCEPTED if accepted else PayoutState.REJECTED
    if already(current, target):
        return None
    if current == PayoutState.REQUESTED:
        raise Refused(
            "invalid_transition",
            f"a payout that is {current.value} cannot become {target.value} by a status report: "
            "it was never sent in a batch",
            f"拨付指令当前为 {current.value}，尚未随批次发送，状态报告不能使其变为 {target.value}",
        )
    check(current, target)
    return target


def cancellable(award: AwardState, payout: PayoutState | None) -> bool:
    """Whether cancelling the award (and its open payout, if any) changes anything: False when it
    is cancelled already, which is cancelling once. Refused once its money has left or may be leaving."""
    if award == AwardState.CANCELLED:
        return False
    if award == AwardState.PAID:
        raise Refused("already_paid", "the award is paid: record a clawback instead", "该补贴已拨付，请改为登记追回")
    if payout in IN_FLIGHT:
        raise Refused(
            "payout_in_flight",
            "the payout is with the finance system; cancel it once it is rejected",
            "拨付指令已发送至财政系统，待其退回后方可取消",
        )
    check(award, AwardState.CANCELLED)
    if payout is not None:
        check(payout, PayoutState.CANCELLED)
    return True
