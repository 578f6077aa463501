"""A body that does not validate is refused naming the resource its route takes (`invalid_webhook`,
`invalid_payee`, …) in English and Chinese, each field and its problem named, on every route of every
service that takes a body, and each route's document says which code its 422 carries.

Each service is built by its own composition root, in this process, with keys checked by a fake key
ring (one key per role) and rates kept in the process (intake's are kept in its database): validation
answers before anything reaches the database."""

import uuid
from decimal import Decimal
from importlib import import_module
from typing import Any

import httpx
import pytest

from shared.api_errors import RESOURCES
from shared.auth import ROLES, KeyRecord, KeyRing, secret_hash
from shared.ratelimit import RateLimiter
from shared.secretbox import new_key
from shared.settings import Settings
from shared.stack import SERVICES

# A JSON value no body is, and an object with a field no body declares.
BAD_BODIES = [b"42", b'{"no_such_field": [1]}']


KEY_IDS = {f"role{i}": role for i, role in enumerate(ROLES)}  # a key id has no underscore


async def _fake_keys(key_id: str) -> KeyRecord | None:
    role = KEY_IDS.get(key_id)
    return KeyRecord(secret_hash("s"), f"p-{key_id}", role, Decimal(1_000_000)) if role else None


def _app(service: str):
    settings = Settings(
        service_name=service,
        database_url="postgresql://nobody@127.0.0.1:1/none",
        kafka_bootstrap_servers="-",
        secrets_key=new_key(),
    )
    app = import_module(f"services.{service}.main").create_app(settings)
    app.state.keys = KeyRing(_fake_keys)
    if hasattr(app.state, "limiter"):
        app.state.limiter = RateLimiter()
    return app


def _value(schema: dict[str, Any], document: dict[str, Any]) -> str:
    """A value of a path parameter that passes its own schema, so that only the body is at fault."""
    if ref := schema.get("$ref"):
        schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    if "enum" in schema:
        return str(schema["enum"][0])
    if "examples" in schema:
        return str(schema["examples"][0])
    if schema.get("type") == "integer":
        return str(schema.get("minimum", 2024))
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    return "x" * max(schema.get("minLength", 1), 1)


def _body_taking(document: dict[str, Any]):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                for parameter in operation.get("parameters", []):
                    if parameter["in"] == "path":
                        path = path.replace(f"{{{parameter['name']}}}", _value(parameter["schema"], document))
                yield method.upper(), path, operation


def _headers(operation: dict[str, Any]) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}
    if security := operation.get("security"):
        headers["Authorization"] = f"Bearer sk_role{ROLES.index(security[0]['ApiKey'][0])}_s"
    return headers


@pytest.mark.parametrize("service", SERVICES)
async def test_a_body_that_does_not_validate_is_refused_naming_the_resource_its_route_takes(service):
    app = _app(service)
    if app.openapi_url is None:
        assert service == "console"  # its forms answer with pages (services/console/web/errors.py)
        return
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{service}") as client:
        document = (await client.get(app.openapi_url)).json()
        walked = list(_body_taking(document))
        for method, path, operation in walked:
            resource = operation.get("x-resource")
            assert resource in RESOURCES and resource != "request", f"{method} {path} names no resource"
            code, (en, zh) = f"invalid_{resource}", RESOURCES[resource]
            documented = operation["responses"]["422"]
            assert f"`{code}`" in documented["description"], (method, path)
            assert documented["content"]["application/json"]["example"]["error"]["code"] == code
            for body in BAD_BODIES:
                r = await client.request(method, path, content=body, headers=_headers(operation))
                assert r.status_code == 422, (method, path, body, r.status_code, r.text)
                error = r.json()["error"]
                assert error["code"] == code, (method, path, error)
                assert error["message_en"] == f"the {en} is not valid; see fields"
                assert error["message_zh"].startswith(zh) and "无效" in error["message_zh"]
                assert error["fields"], (method, path, error)
                for field in error["fields"]:
                    assert field["field"] and field["code"] and field["message_en"] and field["message_zh"], field
                    assert not field["field"].startswith(("path.", "query.", "header.")), (method, path, field)
    if service != "finance_sim":  # the stand-in only answers over the broker
        assert walked, f"{service} documents no route that takes a body"
