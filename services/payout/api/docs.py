"""Payout's OpenAPI document, built from the policy book the process loaded: a budget line's clause
is one of the book's clauses."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from services.payout.budgets import money_clauses
from shared.policy import CurrentPolicy


def install(app: FastAPI, policy: CurrentPolicy) -> None:
    def openapi() -> dict[str, Any]:
        if not app.openapi_schema:
            schema = get_openapi(title=app.title, version="1.0.0", description=app.description, routes=app.routes)
            for parameter in schema["paths"]["/v1/budgets/{year}/{clause}"]["put"]["parameters"]:
                if parameter["name"] == "clause":
                    parameter["schema"]["enum"] = sorted(money_clauses(policy.book))
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
