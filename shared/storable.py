"""One rule for text at the edge: nothing reaches a handler that PostgreSQL cannot store.

PostgreSQL's `text` cannot hold NUL (U+0000), and the UTF-8 it stores has no unpaired surrogates
(U+D800–U+DFFF), which JSON's `\\ud800` escapes can still spell. A request carrying either in a
declared query or path parameter, or in a JSON body its route parses, is answered 422
`invalid_character` naming the field, in every service alike, before any handler runs.

The check is a dependency of the app itself, so that no route can forget it, and it runs before the
route's own parameters are read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from fastapi import Request

from shared.api_errors import ApiError, invalid
from shared.policy.errors import field_error

_SUSPECT_BODY = re.compile(rb"\x00|\\u0000|\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SUSPECT_QUERY = re.compile(rb"%00|\x00", re.IGNORECASE)


def suspect(body: bytes) -> bool:
    """Whether a JSON body's bytes could hold a NUL or a lone surrogate: a few scans, no parsing."""
    return _SUSPECT_BODY.search(body) is not None


def problem(text: str) -> str | None:
    """Why `text` cannot be stored, or None."""
    for position, c in enumerate(text, start=1):
        if c == "\x00":
            return f"contains U+0000 (NUL) at position {position}, which cannot be stored"
        if "\ud800" <= c <= "\udfff":
            return f"contains an unpaired surrogate U+{ord(c):04X} at position {position}, which cannot be stored"
    return None


def problems(value: Any, field: str) -> Iterator[tuple[str, str]]:
    """(field, why) for every unstorable string in a parsed JSON value, keys included."""
    if isinstance(value, str):
        if why := problem(value):
            yield field, why
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{field}.{key}" if field else str(key)
            if why := problem(key):
                yield name, f"name {why}"
            yield from problems(item, name)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from problems(item, f"{field}.{i}" if field else str(i))


def refused(found: list[tuple[str, str]]) -> ApiError:
    return invalid([field_error(name, "invalid_character", why).to_json() for name, why in found])


async def refuse_unstorable(request: Request) -> None:
    """A dependency of every route (the app's own): refuses NUL or unpaired surrogates in the route's
    declared path and query parameters, and in a JSON body it parses (a route that reads its body raw
    checks it with `problems`). An ordinary request costs a few scans; only a suspect one is walked."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    found = [
        (f"path.{name}", why)
        for name, value in request.path_params.items()
        if isinstance(value, str) and (why := problem(value))
    ]
    if _SUSPECT_QUERY.search(request.scope.get("query_string", b"")):
        declared = {p.alias for p in _all(dependant, "query_params")}
        found += [
            (f"query.{name}", why)
            for name, value in request.query_params.multi_items()
            if name in declared and (why := problem(value))
        ]
    if getattr(route, "body_field", None) is not None and suspect(await request.body()):
        body = await request.body()
        try:
            document = json.loads(body)
        except ValueError:
            document = None  # the route's own parsing answers with its error
        found += list(problems(document, "body"))
    if found:
        raise refused(found)


def _all(dependant: Any, kind: str) -> Iterator[Any]:
    yield from getattr(dependant, kind)
    for sub in dependant.dependencies:
        yield from _all(sub, kind)


# What the document says of every string a client may send: no NUL. (An unpaired surrogate cannot be
# written in a JSON Schema pattern; the generators and validators clients use do not produce one.)
NO_NUL = "^[^\\u0000]*$"


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """States the rule in the document: every free string a client sends (one with no pattern, format
    or choices of its own) and every free object key gets `NO_NUL`, so a client's validator refuses
    what we refuse. Answers are left as they are: an error echoes the field it refuses."""
    components = schema.get("components", {}).get("schemas", {})
    sent: list[Any] = [
        part
        for path in schema.get("paths", {}).values()
        for operation in path.values()
        for part in (operation.get("parameters", []), operation.get("requestBody", {}))
    ]
    names = _referenced(sent, components)
    for part in [*sent, *(components[name] for name in names)]:
        _document(part)
    return schema


def _referenced(node: Any, components: dict[str, Any], found: set[str] | None = None) -> set[str]:
    """The components a part of the document refers to, directly or through others."""
    found = set() if found is None else found
    if isinstance(node, list):
        for item in node:
            _referenced(item, components, found)
    elif isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            if name not in found and name in components:
                found.add(name)
                _referenced(components[name], components, found)
        for value in node.values():
            _referenced(value, components, found)
    return found


def _document(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _document(item)
        return
    if not isinstance(node, dict):
        return
    kinds = node.get("type")
    if (kinds == "string" or (isinstance(kinds, list) and "string" in kinds)) and not (
        {"pattern", "format", "enum", "const"} & node.keys()
    ):
        node["pattern"] = NO_NUL
    if kinds == "object" and node.get("additionalProperties") is not False and "propertyNames" not in node:
        node["propertyNames"] = {"pattern": NO_NUL}
    for key, value in node.items():
        if key not in ("examples", "example", "default", "const", "enum"):
            _document(value)
