"""The OpenAPI contract, built from the policy book the process loaded: the application body is the
policy's own schema, with an example per clause, so `/docs` describes the policy actually in use."""

from datetime import date
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse

from shared import asyncapi
from shared.policy.application import EXAMPLE_APPLICANTS
from shared.policy.book import PolicyBook
from shared.policy.current import CurrentPolicy

DESCRIPTION = """\
The API partner portals use to submit applications under Chengdu's blockchain-pilot subsidy policy
(成都市建设国家区块链创新应用综合性试点专项政策) and to follow them to payment.

* **Keys**: every call but `GET /v1/clauses` needs `Authorization: Bearer sk_…`.
* **Retries are safe**: `POST /v1/applications` needs an `Idempotency-Key`.
* **Errors** share one shape: `{"error": {"code", "message_en", "message_zh", "fields": [...]}}`.
* **Matching**: `POST /v1/matches` says which clauses an applicant may claim from whatever is known of it.
* **Money** is a decimal string (`"4000000.00"`) or an integer, never a float, at most two decimals.
* **Push**: register a webhook (`PUT /v1/partners/me/webhook`) instead of polling.
* **Events**: the Kafka events, for systems connected to the bus: [`/asyncapi`](/asyncapi) (AsyncAPI 3,
  JSON at `/asyncapi.json`).
"""

# The operations whose body is an application (their routes read it raw, for speed and for the
# policy's own error messages, so FastAPI does not know its schema).
APPLICATION_BODIES = (("/v1/applications", "post"), ("/v1/evaluations", "post"))
MATCH = ("/v1/matches", "post")  # read raw too: its facts are the policy's


def application_body(policy: CurrentPolicy) -> tuple[dict[str, Any], dict[str, Any]]:
    """The request body of an application, and the schemas it refers to."""
    book = policy.book
    schema = book.parser.adapter.json_schema(ref_template="#/components/schemas/{model}")
    definitions = schema.pop("$defs", {})
    examples = {clause: {"summary": f"clause {clause}", "value": example} for clause, example in book.examples.items()}
    body = {"required": True, "content": {"application/json": {"schema": schema, "examples": examples}}}
    return body, definitions


def match_example(book: PolicyBook) -> dict[str, Any]:
    """A match request that succeeds under this book: the applicant of the latest version's first
    example, on its day (or the version's first day, if that is not in force), knowing its facts."""
    latest = book.latest
    example = next((book.examples[c["id"]] for c in latest.data["clauses"] if c["id"] in book.examples), None)
    if example is None:
        return {"applicant": EXAMPLE_APPLICANTS["enterprise"], "as_of": latest.first_day.isoformat(), "facts": {}}
    in_force = book.version_on(date.fromisoformat(example["occurred_on"])) is not None
    as_of = example["occurred_on"] if in_force else latest.first_day.isoformat()
    return {"applicant": example["applicant"], "as_of": as_of, "facts": example["facts"]}


def match_body(policy: CurrentPolicy) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The request body of a match, the schemas it refers to, and the answer to its example."""
    book = policy.book
    schema = book.match_parser.adapter.json_schema(ref_template="#/components/schemas/{model}")
    definitions = schema.pop("$defs", {})
    example = match_example(book)
    answer = book.match(book.parse_match(example)).to_json()
    body = {"required": True, "content": {"application/json": {"schema": schema, "example": example}}}
    return body, definitions, answer


def install(app: FastAPI, policy: CurrentPolicy) -> None:
    def openapi() -> dict:
        if not app.openapi_schema:
            schema = get_openapi(title=app.title, version="1.0.0", description=DESCRIPTION, routes=app.routes)
            body, definitions = application_body(policy)
            for path, method in APPLICATION_BODIES:
                schema["paths"][path][method]["requestBody"] = body
            schema.setdefault("components", {}).setdefault("schemas", {}).update(definitions)
            body, definitions, answer = match_body(policy)
            operation = schema["paths"][MATCH[0]][MATCH[1]]
            operation["requestBody"] = body
            operation["responses"]["200"]["content"]["application/json"]["example"] = answer
            schema["components"]["schemas"].update(definitions)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    events = asyncapi.document()
    page = asyncapi.html(events)

    @app.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi_json() -> JSONResponse:
        return JSONResponse(events)

    @app.get("/asyncapi", include_in_schema=False)
    async def asyncapi_page() -> HTMLResponse:
        return HTMLResponse(page)
