"""Bad input is refused before any decision, with the field, a short code and messages in both languages."""

import copy
import datetime as dt
from decimal import Decimal

import pytest
from pydantic import TypeAdapter

from shared.policy import CreditCode, InvalidApplication, Money
from shared.policy.applicant import check_character
from shared.policy.errors import MESSAGES_ZH
from tests.books import BOOK, EXAMPLES, parse_application

BAD: list[pytest.ParameterSet] = []


def bad(rule, field, code, change):
    BAD.append(pytest.param(field, code, change, id=rule))


def fact(clause, name, value):
    def change(app):
        app.update(copy.deepcopy(EXAMPLES[clause]))
        app["facts"][name] = value

    return change


def at(path, value):
    def change(app):
        target = app
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def drop(*path):
    def change(app):
        target = app
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


bad(
    "credit_code_with_a_wrong_check_character_is_refused",
    "applicant.credit_code",
    "invalid_credit_code",
    at(["applicant", "credit_code"], "91510100MA61R8XN3K"),
)
bad(
    "credit_code_with_letter_o_is_refused",
    "applicant.credit_code",
    "invalid_credit_code",
    at(["applicant", "credit_code"], "91510100MA61R8XNO9"),
)
bad(
    "credit_code_of_17_characters_is_refused",
    "applicant.credit_code",
    "invalid_credit_code",
    at(["applicant", "credit_code"], "91510100MA61R8XN3"),
)
bad("clause_not_in_the_policy_is_refused", "clause", "unknown_clause", at(["clause"], "4.8-talent"))
bad("application_without_clause_is_refused", "clause", "missing", drop("clause"))
bad("missing_fact_is_refused", "facts.node_level", "missing", drop("facts", "node_level"))
bad("missing_applicant_name_is_refused", "applicant.name", "missing", drop("applicant", "name"))
bad("fact_of_another_clause_is_an_unknown_field", "facts.node_count", "unknown_field", at(["facts", "node_count"], 4))
bad("unknown_top_level_field_is_refused", "note", "unknown_field", at(["note"], "please"))
bad(
    "money_with_exponent_is_refused", "facts.investment_cost", "money_exponent", at(["facts", "investment_cost"], "1e5")
)
bad(
    "money_with_three_decimals_is_refused",
    "facts.investment_cost",
    "money_precision",
    at(["facts", "investment_cost"], "1.234"),
)
bad(
    "money_as_fractional_json_float_is_refused",
    "facts.investment_cost",
    "wrong_type",
    at(["facts", "investment_cost"], 4000000.5),
)
bad("money_as_boolean_is_refused", "facts.investment_cost", "wrong_type", at(["facts", "investment_cost"], True))
bad("negative_money_is_refused", "facts.investment_cost", "out_of_range", at(["facts", "investment_cost"], "-1"))
bad("negative_integer_money_is_refused", "facts.investment_cost", "out_of_range", at(["facts", "investment_cost"], -5))
bad("money_of_a_trillion_is_refused", "facts.investment_cost", "out_of_range", at(["facts", "investment_cost"], 10**12))
bad("nan_is_not_money", "facts.investment_cost", "invalid_money", at(["facts", "investment_cost"], "NaN"))
bad(
    "money_with_leading_space_is_refused",
    "facts.investment_cost",
    "invalid_money",
    at(["facts", "investment_cost"], " 12"),
)
bad("impossible_date_is_refused", "occurred_on", "invalid_date", at(["occurred_on"], "2023-02-30"))
bad("date_in_another_format_is_refused", "occurred_on", "invalid_date", at(["occurred_on"], "2024/03/01"))
bad("date_as_number_is_refused", "occurred_on", "wrong_type", at(["occurred_on"], 20240301))
bad("count_as_string_is_refused", "facts.node_count", "wrong_type", fact("2.3-alliance-chain", "node_count", "4"))
bad("count_as_float_is_refused", "facts.node_count", "wrong_type", fact("2.3-alliance-chain", "node_count", 4.0))
bad("negative_count_is_refused", "facts.node_count", "out_of_range", fact("2.3-alliance-chain", "node_count", -1))
bad(
    "operation_year_zero_is_refused",
    "facts.operation_year",
    "out_of_range",
    fact("1.1-ops-center", "operation_year", 0),
)
bad("boolean_as_string_is_refused", "facts.in_business", "wrong_type", fact("1.1-ops-center", "in_business", "yes"))
bad(
    "review_score_above_100_is_refused",
    "facts.review_score",
    "out_of_range",
    fact("2.4-typical-case", "review_score", "100.01"),
)
bad("unknown_node_level_is_refused", "facts.node_level", "invalid_choice", at(["facts", "node_level"], "galactic"))
bad("unknown_applicant_kind_is_refused", "applicant.kind", "invalid_choice", at(["applicant", "kind"], "person"))
bad(
    "identifier_with_a_nul_character_is_refused",
    "facts.node_id",
    "invalid_character",
    at(["facts", "node_id"], "SN\x00001"),
)
bad(
    "identifier_with_a_right_to_left_override_is_refused",
    "facts.node_id",
    "invalid_character",
    at(["facts", "node_id"], "SN-\u202e100"),
)
bad(
    "identifier_with_a_zero_width_space_is_refused",
    "facts.node_id",
    "invalid_character",
    at(["facts", "node_id"], "SN-\u200b001"),
)
bad("identifier_of_spaces_only_is_refused", "facts.node_id", "empty_identifier", at(["facts", "node_id"], " \u3000 "))
bad(
    "identifier_longer_than_64_characters_is_refused",
    "facts.node_id",
    "invalid_format",
    at(["facts", "node_id"], "N" * 65),
)
bad(
    "applicant_name_with_control_characters_is_refused",
    "applicant.name",
    "invalid_character",
    at(["applicant", "name"], "\x00\x03"),
)
bad(
    "a_payee_account_in_another_name_is_refused",
    "payee.account_name",
    "payee_name_mismatch",
    at(
        ["payee"],
        {"account_name": "另一家公司", "account_number": "6222020200112233445", "bank": "工商银行成都高新支行"},
    ),
)
bad(
    "a_payee_account_number_with_spaces_is_refused",
    "payee.account_number",
    "invalid_account_number",
    at(
        ["payee"], {"account_name": "成都链网科技有限公司", "account_number": "6222 0202 0011 2233", "bank": "工商银行"}
    ),
)
bad("facts_that_are_not_an_object_are_refused", "facts", "wrong_type", at(["facts"], ["SN-001"]))
bad("contact_email_without_a_domain_is_refused", "contact.email", "invalid_email", at(["contact"], {"email": "zhang@"}))
bad(
    "contact_phone_of_letters_is_refused",
    "contact.phone",
    "invalid_phone",
    at(["contact"], {"email": "zhang@chain.cn", "phone": "call me"}),
)


@pytest.mark.parametrize("field, code, change", BAD)
def test_bad_input_is_refused_with_field_and_code(field, code, change):
    app = copy.deepcopy(EXAMPLES["1.1-node"])
    change(app)
    with pytest.raises(InvalidApplication) as refused:
        parse_application(app)
    errors = [(e.field, e.code) for e in refused.value.errors]
    assert errors == [(field, code)]
    error = refused.value.errors[0]
    assert error.message_en.startswith(f"{field}: ") and error.message_zh.startswith(f"{field}：")
    assert error.message_zh[len(field) + 1 :] == MESSAGES_ZH[code]


def test_every_error_code_has_a_bad_input_case():
    tested = {p.values[1] for p in BAD}
    assert tested == set(MESSAGES_ZH) - {"invalid"}


def test_several_problems_are_reported_together():
    app = copy.deepcopy(EXAMPLES["4.10-conference"])
    app["facts"].update(vip_attendees=-1, conference_cost="1.999")
    del app["facts"]["attendees"]
    with pytest.raises(InvalidApplication) as refused:
        parse_application(app)
    assert sorted((e.field, e.code) for e in refused.value.errors) == [
        ("facts.attendees", "missing"),
        ("facts.conference_cost", "money_precision"),
        ("facts.vip_attendees", "out_of_range"),
    ]


def test_wrong_check_character_message_names_the_expected_one():
    app = copy.deepcopy(EXAMPLES["1.1-node"])
    app["applicant"]["credit_code"] = "91510100MA61R8XN3K"
    with pytest.raises(InvalidApplication) as refused:
        parse_application(app)
    assert refused.value.errors[0].message_en == (
        "applicant.credit_code: check character is 'K' but should be '9' for 91510100MA61R8XN3K"
    )


@pytest.mark.parametrize(
    "first17, check",
    [("91510100MA61R8XN3", "9"), ("12510100MA0000000", "N"), ("51510100MJ0000001", "9"), ("11510100MB0000001", "Y")],
)
def test_credit_code_check_character_follows_gb_32100(first17, check):
    assert check_character(first17) == check
    assert TypeAdapter(CreditCode).validate_python(first17 + check) == first17 + check


@pytest.mark.parametrize(
    "wire, value",
    [
        ("4000000.00", "4000000.00"),
        (4000000, "4000000"),
        ("0", "0"),
        ("0.5", "0.5"),
        ("999999999999.99", "999999999999.99"),
    ],
)
def test_money_accepts_plain_decimals_exactly(wire, value):
    parsed = TypeAdapter(Money).validate_python(wire)
    assert isinstance(parsed, Decimal) and parsed == Decimal(value) and str(parsed) == value


def test_every_example_is_a_valid_application_of_its_clause():
    assert len(EXAMPLES) == 16
    for clause, example in EXAMPLES.items():
        app = parse_application(example)
        assert app.clause == clause and app.occurred_on == dt.date(2024, 3, 1)


def test_review_score_is_optional_because_the_panel_sets_it_later():
    app = parse_application(EXAMPLES["2.3-alliance-chain"])
    assert app.facts.review_score is None
    scored = copy.deepcopy(EXAMPLES["2.3-alliance-chain"])
    scored["facts"]["review_score"] = "87.50"
    assert parse_application(scored).facts.review_score == Decimal("87.50")


def test_the_openapi_schema_offers_one_model_per_clause_discriminated_on_clause():
    schema = BOOK.parser.adapter.json_schema()
    assert schema["discriminator"]["propertyName"] == "clause"
    assert len(schema["oneOf"]) == 16
    node = schema["$defs"]["Facts_1_1_node"]
    assert node["additionalProperties"] is False
    assert set(node["required"]) == {"node_id", "node_level", "investment_cost"}
    assert node["properties"]["investment_cost"]["anyOf"][0]["pattern"] == r"^[0-9]{1,12}(\.[0-9]{1,2})?$"


def test_an_application_may_name_the_applicants_own_account_in_either_bracket_width():
    app = copy.deepcopy(EXAMPLES["1.1-node"])
    app["applicant"]["name"] = "成都链网科技（集团）有限公司"
    app["payee"] = {
        "account_name": "成都链网科技(集团)有限公司",
        "account_number": "6222020200112233445",
        "bank": "工商银行成都高新支行",
    }
    payee = parse_application(app).payee
    assert payee is not None and payee.account_number == "6222020200112233445"
