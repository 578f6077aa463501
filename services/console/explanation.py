"""An application's decision, explained clause by clause, from the timeline intake keeps: the
decision step holds the outcome, the amount, the reasons and the trace of the engine's reasoning,
each step citing the article of the policy it applies."""

from dataclasses import dataclass
from typing import Any

DECIDED = ("eligible", "ineligible", "candidate")


@dataclass
class Article:
    article: str
    steps: list[dict[str, Any]]


@dataclass
class Explained:
    outcome: str
    at: str
    amount: str | None
    policy_version: str | None
    reasons: list[dict[str, Any]]
    articles: list[Article] | None  # None: the decision was recorded without its trace


def by_article(trace: list[dict[str, Any]]) -> list[Article]:
    """The trace's steps grouped by the article they apply, in the order the engine took them."""
    grouped: list[Article] = []
    for step in trace:
        if grouped and grouped[-1].article == step.get("article"):
            grouped[-1].steps.append(step)
        else:
            grouped.append(Article(step.get("article", ""), [step]))
    return grouped


def of(timeline: list[dict[str, Any]]) -> Explained | None:
    """The latest decision on the timeline, or None while there is none."""
    decided = [s for s in timeline if s.get("status") in DECIDED]
    if not decided:
        return None
    step = decided[-1]
    detail = step.get("detail") or {}
    trace = detail.get("trace")
    return Explained(
        step["status"],
        step["at"],
        detail.get("amount"),
        detail.get("policy_version"),
        list(detail.get("reasons") or []),
        by_article(trace) if trace is not None else None,
    )


def facts(application: dict[str, Any]) -> list[tuple[str, str]]:
    """The application's facts as the applicant sent them, for a table."""
    return [
        (name, "是 yes" if value is True else "否 no" if value is False else str(value))
        for name, value in (application.get("facts") or {}).items()
    ]
