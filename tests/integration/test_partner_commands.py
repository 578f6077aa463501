"""An operator manages partners with the `subsidy partners` commands; the keys they print work."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.integration
SUBSIDY = str(Path(sys.executable).parent / "subsidy")


def subsidy(stack, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SUBSIDY, "partners", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DATABASE_URL": stack.database_url},
    )


def status_with(intake, key: str) -> int:
    return httpx.get(f"{intake.url}/v1/applications", headers={"Authorization": f"Bearer {key}"}).status_code


def test_a_created_key_works_a_rotated_one_replaces_it_and_revoke_ends_it(stack, intake):
    name = f"district-{uuid.uuid4().hex[:6]}"
    created = subsidy(stack, "create", name, "--role", "reviewer")
    assert created.returncode == 0, created.stderr
    first = created.stdout.strip()
    assert first.startswith("sk_") and status_with(intake, first) == 200

    rotated = subsidy(stack, "rotate", name).stdout.strip()
    assert rotated.startswith("sk_") and rotated != first
    assert subsidy(stack, "revoke", name).stdout.strip() == "revoked 1 key(s)"
    assert status_with(intake, rotated) == 401  # never used, so no replica remembers it


def test_an_unknown_role_or_a_taken_name_is_refused(stack):
    name = f"assoc-{uuid.uuid4().hex[:6]}"
    assert subsidy(stack, "create", name, "--role", "mayor").returncode == 2
    assert subsidy(stack, "create", name).returncode == 0
    taken = subsidy(stack, "create", name)
    assert taken.returncode == 2 and "already exists" in taken.stderr
