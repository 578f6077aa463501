"""Schemathesis hooks (loaded through SCHEMATHESIS_HOOKS): every request carries the key of a role
the operation accepts, taking each accepted role in turn, so a route is fuzzed as each of its callers.
An operation says which roles it accepts in its security requirement (`ApiKey: [admin, finance]`);
one without a requirement is public and is called with no key. Keys come from `FUZZ_KEYS`, a JSON
object of role → key."""

import itertools
import json
import os
from collections.abc import Iterator

import schemathesis

KEYS: dict[str, str] = json.loads(os.environ.get("FUZZ_KEYS", "{}"))
_turns: dict[str, Iterator[str]] = {}


def _roles(operation) -> list[str]:
    requirements = operation.definition.raw.get("security") or []
    return [role for requirement in requirements for role in requirement.get("ApiKey", [])]


@schemathesis.auth(refresh_interval=None)
class RoleKeys:
    def get(self, case, ctx) -> str | None:
        roles = _roles(case.operation)
        if not roles:
            return None
        label = case.operation.label
        if label not in _turns:
            _turns[label] = itertools.cycle(roles)
        return KEYS[next(_turns[label])]

    def set(self, case, data, ctx) -> None:
        if data is not None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
