"""Schemathesis drives the running intake service from its own OpenAPI document: no request it
generates may get a 5xx, and every response must match what the document promises."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


async def test_the_intake_api_keeps_its_documented_contract(stack, intake, tmp_path):
    key = await stack.key(rate="100000")
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            f"{intake.url}/openapi.json",
            "--header",
            f"Authorization: Bearer {key}",
            "--checks",
            "all",
            "--max-examples",
            "30",
            # A credit code's check character cannot be written in JSON Schema, so a schema-valid
            # code is still refused; every other check runs.
            "--exclude-checks",
            "positive_data_acceptance",
            "--seed",
            "1",
            "--report-dir",
            str(tmp_path),
            "--warnings",
            "off",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]


async def test_the_quota_api_keeps_its_documented_contract(stack, intake, quota, tmp_path):
    import httpx

    from tests.selection_tools import key_works

    key = await stack.key(role="admin", rate="100000")
    async with httpx.AsyncClient(base_url=quota.url) as client:
        await key_works(client, key)
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            f"{quota.url}/openapi.json",
            "--header",
            f"Authorization: Bearer {key}",
            "--checks",
            "all",
            "--max-examples",
            "20",
            # Schema-valid requests name rounds, reviewers and candidates that do not exist: refused, rightly.
            "--exclude-checks",
            "positive_data_acceptance",
            "--seed",
            "1",
            "--report-dir",
            str(tmp_path),
            "--warnings",
            "off",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]


async def test_the_payout_api_keeps_its_documented_contract(stack, intake, tmp_path):
    import httpx

    from shared.stack import ServiceProcess, free_port
    from tests.selection_tools import key_works

    payout = ServiceProcess("payout", free_port(), stack.env(), tmp_path / "payout.log").start()
    try:
        payout.wait_ready()
        key = await stack.key(role="admin", rate="100000")
        async with httpx.AsyncClient(base_url=payout.url) as client:
            await key_works(client, key, "/v1/budgets")
        run = subprocess.run(
            [
                str(Path(sys.executable).parent / "schemathesis"),
                "run",
                f"{payout.url}/openapi.json",
                "--header",
                f"Authorization: Bearer {key}",
                "--checks",
                "all",
                "--max-examples",
                "20",
                # Schema-valid requests name awards and clauses that do not exist: refused, rightly.
                "--exclude-checks",
                "positive_data_acceptance",
                "--seed",
                "1",
                "--report-dir",
                str(tmp_path),
                "--warnings",
                "off",
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    finally:
        payout.stop()
