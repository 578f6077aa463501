"""The OpenAPI contract: the application body is the policy's own schema, with an example per clause."""

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse

from shared import asyncapi
from shared.policy import EXAMPLES, ApplicationAdapter

_schema = ApplicationAdapter.json_schema(ref_template="#/components/schemas/{model}")
_DEFS = _schema.pop("$defs", {})

APPLICATION_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": _schema,
                "examples": {
                    clause: {"summary": f"clause {clause}", "value": example} for clause, example in EXAMPLES.items()
                },
            }
        },
    }
}

DESCRIPTION = """\
The API partner portals use to submit applications under Chengdu's blockchain-pilot subsidy policy
(成都市建设国家区块链创新应用综合性试点专项政策) and to follow them to payment.

* **Keys**: every call but `GET /v1/clauses` needs `Authorization: Bearer sk_…`.
* **Retries are safe**: `POST /v1/applications` needs an `Idempotency-Key`.
* **Errors** share one shape: `{"error": {"code", "message_en", "message_zh", "fields": [...]}}`.
* **Money** is a decimal string (`"4000000.00"`) or an integer, never a float, at most two decimals.
* **Push**: register a webhook (`PUT /v1/partners/me/webhook`) instead of polling.
* **Events**: the Kafka events, for systems connected to the bus: [`/asyncapi`](/asyncapi) (AsyncAPI 3,
  JSON at `/asyncapi.json`).
"""


def install(app: FastAPI) -> None:
    def openapi() -> dict:
        if not app.openapi_schema:
            schema = get_openapi(title=app.title, version="1.0.0", description=DESCRIPTION, routes=app.routes)
            schema.setdefault("components", {}).setdefault("schemas", {}).update(_DEFS)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi

    events = asyncapi.document()
    page = asyncapi.html(events)

    @app.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi_json() -> JSONResponse:
        return JSONResponse(events)

    @app.get("/asyncapi", include_in_schema=False)
    async def asyncapi_page() -> HTMLResponse:
        return HTMLResponse(page)
