"""The command-line evaluator and the clause catalogue."""

import copy
import io
import json

from shared.policy import catalogue
from shared.policy.cli import evaluate_main
from tests.books import BOOK, EXAMPLES


def run(text):
    out, err = io.StringIO(), io.StringIO()
    status = evaluate_main(BOOK, io.StringIO(text), out, err)
    return status, [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def test_one_application_prints_one_decision_line_with_chinese_unescaped():
    status, decisions, err = run(json.dumps(EXAMPLES["1.1-node"]))
    assert (status, err) == (0, "")
    assert [(d["clause"], d["outcome"], d["amount"]) for d in decisions] == [("1.1-node", "eligible", "800000.00")]
    out = io.StringIO()
    evaluate_main(BOOK, io.StringIO(json.dumps(EXAMPLES["1.1-node"])), out, io.StringIO())
    assert "超级节点" in out.getvalue()


def test_an_array_gets_one_line_per_application_and_ineligible_still_counts_as_decided():
    lapsed = copy.deepcopy(EXAMPLES["4.9-standard"])
    lapsed["occurred_on"] = "2025-02-10"
    status, decisions, err = run(json.dumps([EXAMPLES["4.9-standard"], lapsed]))
    assert (status, err) == (0, "")
    assert [(d["outcome"], d["amount"]) for d in decisions] == [("eligible", "500000.00"), ("ineligible", "0.00")]


def test_a_float_amount_is_bad_input_named_on_stderr_and_gets_no_decision():
    floated = copy.deepcopy(EXAMPLES["1.1-node"])
    floated["facts"]["investment_cost"] = 4000000.5
    status, decisions, err = run(json.dumps([floated, EXAMPLES["3.5-ministry-demo"]]))
    assert status == 2
    assert [d["clause"] for d in decisions] == ["3.5-ministry-demo"]
    assert err.startswith("application 0: facts.investment_cost: wrong_type: ")


def test_an_integer_amount_is_fine_on_the_command_line():
    whole = copy.deepcopy(EXAMPLES["1.1-node"])
    whole["facts"]["investment_cost"] = 4000000
    status, decisions, _ = run(json.dumps(whole))
    assert (status, decisions[0]["amount"]) == (0, "800000.00")


def test_unparseable_json_returns_2_without_decisions():
    status, decisions, err = run('{"clause": "1.1-node", ')
    assert (status, decisions) == (2, [])
    assert err.startswith("input is not valid JSON")


def test_the_catalogue_lists_every_clause_with_its_wording_and_typed_facts():
    entries = {c["id"]: c for c in catalogue(BOOK)}
    assert list(entries) == list(EXAMPLES)
    node = entries["1.1-node"]
    assert node["article"] == "一（一）"
    assert "按企业或机构投入成本的 20%给予最高 100 万元一次性补贴" in node["wording_zh"]
    assert node["title_en"] and node["summary_zh"] and node["title_zh"] and node["summary_en"]
    assert node["facts"][2] == {
        "name": "investment_cost",
        "type": "money",
        "required": True,
        "description": "money (yuan: decimal string or integer, ≤ 2 places, 0 ≤ v < 1e12)",
    }
    assert node["formula"] == {"kind": "rate_with_cap", "base": "investment_cost", "rate": "0.20", "cap": "1000000.00"}
    chain = entries["2.3-alliance-chain"]
    assert chain["formula"]["quota"] == 10 and chain["formula"]["notice_working_days"] == 5
    assert {
        "name": "review_score",
        "type": "score",
        "required": False,
        "description": "decimal 0–100, set by the review panel",
    } in chain["facts"]
    assert json.loads(json.dumps(catalogue(BOOK), ensure_ascii=False)) == catalogue(BOOK)
