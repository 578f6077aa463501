"""A round's states and the only moves between them."""

from enum import StrEnum

from shared.refusal import Refused


class State(StrEnum):
    OPEN = "open"  # taking candidates until the application deadline
    CLOSED = "closed"  # deadline passed; the panel is being completed
    IN_REVIEW = "in_review"  # reviewers score the candidates
    RANKED = "ranked"  # scores and ranking fixed; proposed selections and waitlist known
    IN_NOTICE = "in_notice"  # public notice (公示): anyone may object
    CONCLUDED = "concluded"  # results final; awards and recognitions issued


NEXT = {
    State.OPEN: State.CLOSED,
    State.CLOSED: State.IN_REVIEW,
    State.IN_REVIEW: State.RANKED,
    State.RANKED: State.IN_NOTICE,
    State.IN_NOTICE: State.CONCLUDED,
}

WHAT_NEXT = {
    State.OPEN: ("closes when its application deadline passes", "申报截止后关闭"),
    State.CLOSED: ("goes to review once the panel is complete", "评审专家组配齐后进入评审"),
    State.IN_REVIEW: ("is ranked once every candidate has its reviews", "每个候选对象评分齐全后排名"),
    State.RANKED: ("goes into public notice", "进入公示"),
    State.IN_NOTICE: ("concludes when the notice ends with no open objection", "公示期满且无未决异议后结束"),
    State.CONCLUDED: ("is final", "已结束"),
}


class RuleBroken(Refused):
    """An action the round's rules refuse."""


def check_transition(current: State, target: State) -> None:
    """Refuses anything but the one next state."""
    if NEXT.get(current) == target:
        return
    en, zh = WHAT_NEXT[current]
    raise RuleBroken(
        "invalid_transition",
        f"a round that is {current.value} cannot become {target.value}: it {en}",
        f"评选轮次当前为 {current.value}，不能变为 {target.value}：{zh}",
    )


def require(state: State, *allowed: State, doing_en: str, doing_zh: str) -> None:
    if state not in allowed:
        shown = " or ".join(s.value for s in allowed)
        raise RuleBroken(
            "wrong_state",
            f"{doing_en} only while the round is {shown}; it is {state.value}",
            f"仅在轮次处于 {shown} 时可{doing_zh}，当前为 {state.value}",
        )
