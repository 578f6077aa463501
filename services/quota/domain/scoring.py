"""Scores: each review is the weighted mean of its criterion scores; a candidate's score is the
mean of its submitted, non-recused reviews, with the highest and the lowest left out once there
are at least five of them (an outlier then cannot move the result on its own)."""

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

from shared.policy.formulas import Criterion

CENT = Decimal("0.01")
TRIM_FROM = 5  # reviews needed before the highest and the lowest are dropped


class BadScores(ValueError):
    def __init__(self, problems: list[tuple[str, str, str]]):
        super().__init__("; ".join(en for _, en, _ in problems))
        self.problems = problems  # (field, message_en, message_zh)


def check_scores(criteria: Sequence[Criterion], scores: Mapping[str, object], *, complete: bool) -> None:
    """Whole numbers 0–100, only for the rubric's criteria; a submitted review scores every one."""
    known = {c.id for c in criteria}
    problems = [
        (
            f"scores.{k}",
            f"scores.{k}: not a criterion of this round's rubric ({', '.join(sorted(known))})",
            f"scores.{k}：不是本轮评分细则的指标",
        )
        for k in scores
        if k not in known
    ]
    for k, v in scores.items():
        if k in known and (not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= 100):
            problems.append(
                (f"scores.{k}", f"scores.{k}: must be a whole number from 0 to 100", f"scores.{k}：须为 0–100 的整数")
            )
    if complete:
        problems += [
            (
                f"scores.{c.id}",
                f"scores.{c.id}: required to submit the review",
                f"scores.{c.id}：提交评审须给出该项评分",
            )
            for c in criteria
            if c.id not in scores
        ]
    if problems:
        raise BadScores(problems)


def review_score(criteria: Sequence[Criterion], scores: Mapping[str, int]) -> Decimal:
    """Σ score × weight / 100, rounded half up to 0.01."""
    total = sum((Decimal(scores[c.id]) * c.weight for c in criteria), Decimal(0))
    return (total / 100).quantize(CENT, ROUND_HALF_UP)


def candidate_score(reviews: Sequence[Decimal]) -> tuple[Decimal | None, bool]:
    """(the mean, rounded half up to 0.01, or None without reviews; whether it was trimmed)."""
    if not reviews:
        return None, False
    counted = sorted(reviews)
    trimmed = len(counted) >= TRIM_FROM
    if trimmed:
        counted = counted[1:-1]
    return (sum(counted, Decimal(0)) / len(counted)).quantize(CENT, ROUND_HALF_UP), trimmed
