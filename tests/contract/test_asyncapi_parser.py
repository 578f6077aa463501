"""AsyncAPI's own parser (@asyncapi/parser, which AsyncAPI's generator, CLI and Studio are built on)
reads the event document `subsidy asyncapi` prints with no error and no warning: what a partner's
tooling meets, checked by the reference implementation rather than by our reading of the schema
(tests/unit/test_asyncapi.py).

The parser is a Node.js package pinned in tests/contract/asyncapi/package-lock.json; the first test
to need it installs it (`npm ci`), and fails saying why if it cannot."""

import fcntl
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli import app
from shared import asyncapi
from shared.messaging.payloads import all_payload_types

# The first test also waits for the install (15-20 s; npm gives up on an unreachable registry in about a minute).
pytestmark = pytest.mark.timeout(300)

HERE = Path(__file__).with_name("asyncapi")
PINNED = json.loads((HERE / "package.json").read_text())["dependencies"]["@asyncapi/parser"]
INSTALLED = HERE / "node_modules" / "@asyncapi" / "parser" / "package.json"
INSTALL = ["npm", "ci", "--prefix", str(HERE), "--ignore-scripts", "--no-audit", "--no-fund"]
INSTALL_TIMEOUT_S = 240


def _installed_version() -> str | None:
    return json.loads(INSTALLED.read_text())["version"] if INSTALLED.exists() else None


@pytest.fixture(scope="session")
def parser() -> Path:
    """The parse script, with the pinned parser installed beside it (once, whichever worker comes first)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("node and npm (Node.js 20) are needed to run AsyncAPI's parser; install Node.js 20")
    lock_path = Path(tempfile.gettempdir()) / "subsidy-asyncapi-parser.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # pytest-xdist workers: one installs, the other waits for it
        if _installed_version() != PINNED:
            try:
                done = subprocess.run(INSTALL, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                pytest.fail(f"`{' '.join(INSTALL)}` took over {INSTALL_TIMEOUT_S} s: is the npm registry reachable?")
            if done.returncode != 0:
                pytest.fail(
                    f"`{' '.join(INSTALL)}` failed (is the npm registry reachable?), so AsyncAPI's parser "
                    f"could not be installed:\n{done.stderr[-2000:]}"
                )
        assert _installed_version() == PINNED
    return HERE / "parse.mjs"


def parse(script: Path, document: str) -> dict:
    """What the parser says of the document: whether it parsed, and its diagnostics."""
    done = subprocess.run(["node", str(script)], input=document, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def serious(result: dict) -> list[dict]:
    return [d for d in result["diagnostics"] if d["severity"] in {"error", "warning"}]


def test_the_parser_finds_no_error_and_no_warning_in_the_document(parser):
    printed = CliRunner().invoke(app, ["asyncapi"])
    assert printed.exit_code == 0
    result = parse(parser, printed.output)
    assert serious(result) == [] and result["parsed"]
    assert sorted(result["messages"]) == sorted([*all_payload_types(), "dead letter", "dead letter replayed"])


def _wrong_action(doc: dict) -> None:
    doc["operations"]["send-decisions"]["action"] = "publish"  # AsyncAPI 2's word


def _dangling_payload(doc: dict) -> None:
    del doc["components"]["schemas"]["DecisionMadeV1"]


@pytest.mark.parametrize(
    "breaks, where",
    [
        (_wrong_action, "operations/send-decisions/action"),
        (_dangling_payload, "components/messages/DecisionMadeV1/payload/$ref"),
    ],
)
def test_a_broken_document_is_reported_as_an_error(parser, breaks, where):
    doc = asyncapi.document()
    breaks(doc)
    result = parse(parser, json.dumps(doc))
    errors = [d for d in serious(result) if d["severity"] == "error"]
    assert errors and not result["parsed"]
    assert where in {d["path"] for d in errors}
