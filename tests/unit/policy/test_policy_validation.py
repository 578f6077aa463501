"""A policy file checked before it joins the book: one test per rule, each problem named by its key."""

import re

import pytest

from shared.policy import load_policies
from shared.policy.book import parse_version
from shared.policy.validation import Problem, key_at_line, validate
from tests.policy_files import BUNDLED, DISTRICT_NODE, in_clause, successor

BOOK = load_policies()  # the bundled 2023 version only
CJK = re.compile(r"[\u4e00-\u9fff]")


def problems(text: str | bytes, book=BOOK) -> list[Problem]:
    found = validate(text, book)
    for problem in found:  # every problem says what is wrong in both languages
        assert problem.en and CJK.search(problem.zh), problem
    return found


def only(text: str | bytes, book=BOOK) -> Problem:
    found = problems(text, book)
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def line_of(text: str, start: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if line.startswith(start))


def test_an_illustrative_successor_is_valid():
    text = successor()
    assert "示例" in text and "illustration" in text  # never law
    assert problems(text) == []
    assert problems(text, book=None) == []


def test_a_file_already_in_the_book_is_valid_as_itself():
    assert problems(BUNDLED.read_bytes()) == []


def test_a_toml_syntax_error_names_its_line_and_key():
    text = in_clause(successor(), "1.2-gov-infra", 'cap = "500000"', "cap = = 500000")
    problem = only(text)
    assert (problem.code, problem.line) == ("toml_syntax", line_of(text, "cap = = 500000"))
    assert problem.key == "clauses[2].cap"
    assert f"line {problem.line}" in problem.en and f"第 {problem.line} 行" in problem.zh


def test_a_date_that_is_not_in_the_calendar_is_named_by_its_key():
    text = successor(("last_day = 2027-02-09", "last_day = 2027-02-30"))
    problem = only(text)
    assert (problem.key, problem.code, problem.line) == ("last_day", "bad_date", line_of(text, "last_day"))


def test_a_quoted_date_is_not_a_date():
    problem = only(successor(("first_day = 2025-02-10", 'first_day = "2025-02-10"')))
    assert (problem.key, problem.code) == ("first_day", "wrong_type")


def test_a_window_ending_before_it_starts():
    problem = only(successor(("last_day = 2027-02-09", "last_day = 2025-02-09")))
    assert (problem.key, problem.code) == ("last_day", "bad_window")
    assert "2025-02-09" in problem.en and "施行期" in problem.zh


def test_a_window_starting_on_the_same_day_as_a_version_of_the_book():
    problem = only(successor(first_day="2023-02-10"))
    assert (problem.key, problem.code) == ("first_day", "same_first_day")
    assert "chengdu-blockchain-2023" in problem.en


def test_an_unknown_fact_type():
    text = successor(extra=DISTRICT_NODE)
    problem = only(in_clause(text, "9.1-district-node", 'investment_cost = "money"', 'investment_cost = "monee"'))
    assert (problem.key, problem.clause, problem.code) == (
        "clauses[16].facts.investment_cost",
        "9.1-district-node",
        "unknown_fact_type",
    )
    assert "'monee'" in problem.en and "money" in problem.en


def test_a_negative_cap():
    problem = only(in_clause(successor(), "1.2-gov-infra", 'cap = "500000"', 'cap = "-500000"'))
    assert (problem.key, problem.clause, problem.code) == ("clauses[2].cap", "1.2-gov-infra", "negative_amount")


@pytest.mark.parametrize("rate", ['"1.20"', '"-0.1"'])
def test_a_rate_outside_0_to_1(rate):
    problem = only(in_clause(successor(), "1.1-node", 'rate = "0.30"', f"rate = {rate}"))
    assert (problem.key, problem.clause, problem.code) == ("clauses[0].rate", "1.1-node", "rate_out_of_range")


def test_a_rate_written_as_a_float_is_refused_as_inexact():
    problem = only(in_clause(successor(), "1.1-node", 'rate = "0.30"', "rate = 0.3"))
    assert (problem.key, problem.code) == ("clauses[0].rate", "wrong_type")


def test_a_clause_id_reused_for_another_article():
    problem = only(in_clause(successor(), "1.1-node", 'article = "一（一）"', 'article = "一（二）"'))
    assert (problem.key, problem.clause, problem.code) == ("clauses[0].article", "1.1-node", "clause_meaning_changed")
    assert "chengdu-blockchain-2023" in problem.en and "条款编号" in problem.zh


def test_a_clause_id_reused_for_another_kind_of_formula():
    text = in_clause(successor(), "3.5-ministry-demo", 'formula = "fixed_by_level"', 'formula = "rate_with_cap"')
    text = in_clause(text, "3.5-ministry-demo", 'amount = "300000"', 'base = "project_id"\nrate = "0.20"\ncap = "1"')
    keys = {(p.key, p.code) for p in problems(text)}
    assert ("clauses[9].formula", "clause_meaning_changed") in keys


def test_a_clause_id_reused_with_other_facts():
    text = in_clause(
        successor(), "1.2-gov-infra", 'project_id = "id"\n', 'project_id = "id"\nlocated_in_chengdu = "bool"\n'
    )
    problem = only(text)
    assert (problem.key, problem.code) == ("clauses[2].facts", "clause_meaning_changed")


def test_a_condition_on_an_undeclared_fact():
    problem = only(in_clause(successor(), "1.1-node", 'fact = "node_level"', 'fact = "node_tier"'))
    assert (problem.key, problem.clause, problem.code) == (
        "clauses[0].conditions[0].fact",
        "1.1-node",
        "undeclared_fact",
    )


def test_a_condition_value_outside_its_enum():
    problem = only(in_clause(successor(), "1.1-node", 'value = ["national_super"', 'value = ["national_supper"'))
    assert (problem.key, problem.code) == ("clauses[0].conditions[0].value", "wrong_type")


def test_a_version_id_already_used_by_other_content():
    problem = only(successor(version_id="chengdu-blockchain-2023"))
    assert (problem.key, problem.code) == ("id", "version_id_taken")


def test_a_clause_twice_in_one_file():
    text = in_clause(successor(), "1.2-gov-infra", 'id = "1.2-gov-infra"', 'id = "1.1-node"')
    assert ("clauses[2].id", "duplicate_clause") in {(p.key, p.code) for p in problems(text)}


def test_an_enum_that_differs_from_the_book():
    problem = only(successor(('role = ["lead", "participant"]', 'role = ["lead", "participant", "observer"]')))
    assert (problem.key, problem.code) == ("enums.role", "enum_differs")


def test_levels_without_an_amount_each():
    problem = only(in_clause(successor(), "4.9-standard", 'group = "100000"\n', ""))
    assert (problem.key, problem.code) == ("clauses[13].amounts", "levels_mismatch")


def test_an_example_that_would_not_parse_as_an_application():
    problem = only(in_clause(successor(), "1.1-node", 'node_level = "national_super", ', 'node_level = "galactic", '))
    assert (problem.key, problem.code) == ("clauses[0].example.facts.node_level", "bad_example")


def test_a_file_that_is_not_utf8():
    assert only(successor().encode("gb18030")).code == "encoding"


# What the loader refuses today, each as a problem naming a key (never an exception out of validate).
LOADER_REFUSES = {
    "missing tier_mode": ('tier_mode = "every_tier"\n', ""),
    "unknown double_claim": ('double_claim = "allowed"', 'double_claim = "maybe"'),
    "unknown formula": ('formula = "tiered_thresholds"', 'formula = "stepped"'),
    "weights not summing to 100": ("weight = 25\n", "weight = 26\n"),
    "window reversed": ("last_day = 2027-02-09", "last_day = 2024-02-09"),
    "unknown fact type": ('fiscal_year = "year"', 'fiscal_year = "calendar_year"'),
    "cap not a number": ('cap = "500000"', 'cap = "half a million"'),
    "undeclared tier fact": ('tier_fact = "external_revenue"', 'tier_fact = "revenue"'),
    "missing facts table": ('[clauses.facts]\nexternal_revenue = "money"\nreview_score = "score"\n', ""),
}


@pytest.mark.parametrize("edit", LOADER_REFUSES.values(), ids=LOADER_REFUSES.keys())
def test_what_the_loader_refuses_comes_back_as_a_named_problem(edit):
    text = successor(edit)
    with pytest.raises((ValueError, ArithmeticError)):
        parse_version(text.encode(), "edited")
    found = problems(text)
    assert found and all(p.key for p in found), [str(p) for p in found]


def test_key_at_line_counts_arrays_of_tables():
    text = successor()
    assert key_at_line(text, line_of(text, "first_day")) == "first_day"
    second_condition_of_ops_center = [
        n for n, line in enumerate(text.splitlines(), 1) if line == 'fact = "operation_year"'
    ]
    assert key_at_line(text, second_condition_of_ops_center[0]) == "clauses[1].conditions[1].fact"


def test_a_problem_reads_as_one_line_with_key_clause_and_both_languages():
    problem = only(in_clause(successor(), "1.2-gov-infra", 'cap = "500000"', 'cap = "-500000"'))
    assert str(problem) == (
        "clauses[2].cap [clause 1.2-gov-infra]: must not be negative, got -500000 / 金额不得为负数，实际为 -500000"
    )


def test_any_value_of_the_wrong_shape_is_a_problem_never_an_exception():
    """A sample of the file's keys, each given values of other shapes: whatever the loader refuses,
    validate names; it never raises."""
    lines = successor().splitlines()
    pairs = [n for n, line in enumerate(lines) if re.match(r"[a-z_]+ = ", line)]
    for n in pairs[::15]:
        name = lines[n].split(" = ")[0]
        for value in ("[{ a = 1 }]", '"x"', "-1"):
            text = "\n".join([*lines[:n], f"{name} = {value}", *lines[n + 1 :]]) + "\n"
            found = validate(text, BOOK)
            try:
                parse_version(text.encode(), "edited")
            except (ValueError, ArithmeticError, LookupError, TypeError, AttributeError):
                assert found, f"line {n + 1}: {name} = {value}"
