"""Quota's OpenAPI document, built from the policy book the process loaded: a round's clause is one
of the book's selection clauses."""

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from shared.policy import CurrentPolicy


def selections(policy: CurrentPolicy) -> list[str]:
    return sorted({cid for v in policy.book.versions for cid, rule in v.rules.items() if rule.is_selection})


def install(app: FastAPI, policy: CurrentPolicy) -> None:
    def openapi() -> dict:
        if not app.openapi_schema:
            schema = get_openapi(title=app.title, version="1.0.0", description=app.description, routes=app.routes)
            clause = schema["components"]["schemas"]["RoundCreate"]["properties"]["clause"]
            clause["enum"] = selections(policy)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
