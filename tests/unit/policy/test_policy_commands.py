"""`subsidy policy validate` and `subsidy policy diff` as an official runs them: output and exit codes."""

import json

from typer.testing import CliRunner

from services.cli import app
from tests.policy_files import BUNDLED, district, successor, write

BUNDLED_ONLY = {"POLICY_EXTRA_FILES": None}  # the book of the bundled version, whatever the shell has set


def run(*args: object, env=BUNDLED_ONLY):
    return CliRunner().invoke(app, ["policy", *map(str, args)], env=env)


def test_a_valid_file_is_named_with_its_clauses_and_window(tmp_path):
    result = run("validate", write(tmp_path, "successor", successor()))
    assert result.exit_code == 0, result.stdout
    assert result.stdout == "valid: chengdu-blockchain-2025 (16 clauses, window 2025-02-10 – 2027-02-09)\n"


def test_the_bundled_file_is_valid_against_the_book_that_holds_it():
    result = run("validate", BUNDLED)
    assert result.exit_code == 0, result.stdout
    assert result.stdout.startswith("valid: chengdu-blockchain-2023 (16 clauses")


def test_a_window_ending_before_it_starts_exits_2_naming_the_key(tmp_path):
    path = write(tmp_path, "reversed", successor(("last_day = 2027-02-09", "last_day = 2025-01-01")))
    result = run("validate", path)
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"invalid: {path}: 1 problem(s)",
        "  last_day: the window ends (2025-01-01) before it starts (2025-02-10) / "
        "施行期结束日（2025-01-01）早于起始日（2025-02-10）",
    ]


def test_a_syntax_error_exits_2_with_its_line(tmp_path):
    text = successor().replace('double_claim = "allowed"', "double_claim = allowed")
    line = text.splitlines().index("double_claim = allowed") + 1
    result = run("validate", write(tmp_path, "broken", text))
    assert result.exit_code == 2
    assert f"  double_claim (line {line}): line {line}: TOML syntax" in result.stdout


def test_each_problem_is_listed_with_its_clause(tmp_path):
    text = successor(('cap = "500000"', 'cap = "-1"'), ('rate = "0.50"', 'rate = "5"'))
    result = run("validate", write(tmp_path, "two", text))
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert lines[0].endswith(": 2 problem(s)")
    assert lines[1].startswith("  clauses[1].cap [clause 1.1-ops-center]: must not be negative, got -1 / ")
    assert lines[2].startswith("  clauses[6].rate [clause 2.4-typical-case]: must be between 0 and 1")


def test_diff_against_the_newest_version_prints_chinese_then_english(tmp_path):
    result = run("diff", write(tmp_path, "successor", successor()))
    assert result.exit_code == 0, result.stdout
    zh, en = result.stdout.split("\n\n")
    assert "施行期：2023-02-10 – 2025-02-09 → 2025-02-10 – 2027-02-09" in zh and "  比例：0.20 → 0.30" in zh
    assert "window: 2023-02-10 – 2025-02-09 → 2025-02-10 – 2027-02-09" in en and "  rate: 0.20 → 0.30" in en


def test_diff_in_one_language(tmp_path):
    result = run("diff", write(tmp_path, "successor", successor()), "--language", "en")
    assert result.exit_code == 0, result.stdout
    assert "rate: 0.20 → 0.30" in result.stdout and "比例" not in result.stdout


def test_diff_defaults_to_the_newest_version_the_process_loads_and_takes_another_by_id(tmp_path):
    env = {"POLICY_EXTRA_FILES": json.dumps([str(district(tmp_path))])}  # bars-district-2025, with 9.1
    path = write(tmp_path, "later", successor(version_id="chengdu-blockchain-2026", first_day="2026-01-01"))

    newest = run("diff", path, "--language", "en", env=env)
    named = run("diff", path, "--language", "en", "--against", "chengdu-blockchain-2023", env=env)

    assert newest.exit_code == 0 and named.exit_code == 0, newest.stdout + named.stdout
    assert newest.stdout.startswith("bars-district-2025 → chengdu-blockchain-2026")
    assert "clause 9.1-district-node ((Illustration) " not in newest.stdout  # the title is the new one's
    assert "9.1-district-node (九（一）, (Illustration) Building a district blockchain node): removed" in newest.stdout
    assert named.stdout.startswith("chengdu-blockchain-2023 → chengdu-blockchain-2026")
    assert "removed" not in named.stdout


def test_diff_of_an_invalid_file_exits_2_with_its_problems(tmp_path):
    path = write(tmp_path, "reversed", successor(("last_day = 2027-02-09", "last_day = 2025-01-01")))
    result = run("diff", path)
    assert result.exit_code == 2
    assert "  last_day: the window ends (2025-01-01)" in result.stdout and "→" not in result.stdout


def test_diff_against_a_version_the_book_lacks_exits_2(tmp_path):
    result = run("diff", write(tmp_path, "successor", successor()), "--against", "chengdu-blockchain-1999")
    assert result.exit_code == 2
    assert "no version 'chengdu-blockchain-1999' in the book; it holds chengdu-blockchain-2023" in result.output
