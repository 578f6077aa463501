"""`subsidy evaluate` as a user runs it: a real process, JSON in, decisions out, exit codes."""

import json
import subprocess
import sys
from pathlib import Path

from tests.books import EXAMPLES

SUBSIDY = str(Path(sys.executable).parent / "subsidy")


def evaluate(document) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SUBSIDY, "evaluate", "-"], input=json.dumps(document), capture_output=True, text=True, timeout=60
    )


def test_a_decided_application_prints_its_decision_and_exits_0():
    run = evaluate(EXAMPLES["1.1-node"] | {"facts": EXAMPLES["1.1-node"]["facts"] | {"investment_cost": "4000000.00"}})
    assert run.returncode == 0, run.stderr
    decision = json.loads(run.stdout)
    assert (decision["outcome"], decision["amount"]) == ("eligible", "800000.00")


def test_bad_input_exits_2_naming_the_field_and_prints_no_decision_for_it():
    bad = EXAMPLES["1.1-node"] | {"occurred_on": "2024-02-30"}
    run = evaluate([EXAMPLES["4.9-standard"], bad])
    assert run.returncode == 2
    assert len(run.stdout.splitlines()) == 1  # the good one was still decided
    assert "occurred_on" in run.stderr and "invalid_date" in run.stderr
