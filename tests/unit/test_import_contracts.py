"""Each service keeps to itself: it imports `shared/` and itself, never another service, and
`shared/` imports no service (import-linter's contracts in pyproject.toml). A new service without
its contract fails here."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def contracts() -> list[dict]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def services() -> set[str]:
    return {p.parent.name for p in (ROOT / "services").glob("*/__init__.py")}


def test_every_service_has_a_contract_forbidding_every_other_service():
    found = {
        c["source_modules"][0].removeprefix("services."): set(c["forbidden_modules"])
        for c in contracts()
        if c["type"] == "forbidden" and c["source_modules"][0].startswith("services.")
    }
    assert len(services()) >= 8
    assert set(found) == services()
    for service, forbidden in found.items():
        assert forbidden == {f"services.{other}" for other in services() - {service}}, service


def test_shared_imports_no_service():
    [shared] = [c for c in contracts() if c["source_modules"] == ["shared"]]
    assert (shared["type"], shared["forbidden_modules"]) == ("forbidden", ["services"])


def test_the_contracts_are_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert f"{len(services()) + 1} kept, 0 broken" in run.stdout
