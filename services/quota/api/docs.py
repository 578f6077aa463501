"""Quota's OpenAPI document, built from the policy book the process loaded (a round's clause is one
of the book's selection clauses) and its clock (the example round's deadline is still ahead)."""

from datetime import datetime, time, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from shared.clock import Clock
from shared.policy import CurrentPolicy
from shared.workdays import BEIJING


def selections(policy: CurrentPolicy) -> list[str]:
    return sorted({cid for v in policy.book.versions for cid, rule in v.rules.items() if rule.is_selection})


def example_round(clause: str, now: datetime) -> dict[str, Any]:
    """A round that can be opened now: this year's, its deadline five weeks ahead at 17:00 Beijing time."""
    deadline = datetime.combine(now.astimezone(BEIJING).date() + timedelta(weeks=5), time(17), BEIJING)
    return {
        "clause": clause,
        "year": now.astimezone(BEIJING).year,
        "deadline": deadline.isoformat(),
        "min_reviews": 3,
        "min_score": "60.00",
        "notice_working_days": 5,
    }


def install(app: FastAPI, policy: CurrentPolicy, clock: Clock) -> None:
    def openapi() -> dict[str, Any]:
        if not app.openapi_schema:
            schema = get_openapi(title=app.title, version="1.0.0", description=app.description, routes=app.routes)
            body = schema["components"]["schemas"]["RoundCreate"]
            body["properties"]["clause"]["enum"] = clauses = selections(policy)
            body["examples"] = [example_round(clauses[0], clock.now())] if clauses else []
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
