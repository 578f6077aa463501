"""An operator runs rounds with `subsidy rounds …`; the events go out through the running quota."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared import topics
from tests.kafka_tools import headers, read_until

pytestmark = pytest.mark.integration
SUBSIDY = str(Path(sys.executable).parent / "subsidy")


def subsidy(stack, quota_clock, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SUBSIDY, "rounds", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DATABASE_URL": stack.database_url, "QUOTA_CLOCK_FILE": str(quota_clock.path)},
    )


async def test_an_operator_opens_a_round_sees_it_and_is_told_why_a_move_is_refused(stack, quota, quota_clock):
    created = subsidy(
        stack,
        quota_clock,
        "create",
        "3.5-leading-enterprise",
        "2024",
        "--deadline",
        "2024-09-20T17:00:00+08:00",
        "--min-reviews",
        "2",
        "--by",
        "ops",
    )
    assert created.returncode == 0, created.stderr
    assert "3.5-leading-enterprise 2024: open  quota 10" in created.stdout

    refused = subsidy(stack, quota_clock, "advance", "3.5-leading-enterprise", "2024", "ranked")
    assert refused.returncode == 2
    assert "refused (invalid_transition): a round that is open cannot become ranked" in refused.stderr
    early = subsidy(stack, quota_clock, "advance", "3.5-leading-enterprise", "2024", "closed")
    assert early.returncode == 2 and "deadline_not_passed" in early.stderr
    unknown = subsidy(stack, quota_clock, "create", "1.1-node", "2024", "--deadline", "2024-09-20T17:00:00+08:00")
    assert unknown.returncode == 2 and "not a selection clause" in unknown.stderr

    shown = subsidy(stack, quota_clock, "show", "3.5-leading-enterprise", "2024")
    assert "- → open  by ops: round created" in shown.stdout
    assert "3.5-leading-enterprise 2024: open" in subsidy(stack, quota_clock, "list").stdout

    records = await read_until(stack.bootstrap_servers, topics.ROUNDS, lambda rs: len(rs) >= 1)
    opened = records[0]
    assert headers(opened)["ce_type"] == "subsidy.round.state-changed.v1"
    assert opened.key == b"3.5-leading-enterprise:2024"
    assert json.loads(opened.value) | {"round_id": None, "at": None} == {
        "round_id": None,
        "clause": "3.5-leading-enterprise",
        "year": 2024,
        "state": "open",
        "previous": None,
        "quota": 10,
        "deadline": "2024-09-20T09:00:00Z",
        "notice_ends_on": None,
        "by": "ops",
        "reason": "round created",
        "at": None,
    }
