"""Money and scores on the wire: what the JSON Schema says is exactly what the server takes, so a
client validating against the document and the server never disagree."""

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError

from shared.policy.money import MONEY, POSITIVE_MONEY, SCORE, WireDecimal

KINDS = {"money": MONEY, "positive money": POSITIVE_MONEY, "score": SCORE}
decimal_like = st.from_regex(r"\A-?[0-9]{0,14}(\.[0-9]{0,4})?\Z") | st.text(alphabet="0123456789.-eE+ ", max_size=16)


def documented(kind: WireDecimal, value: str) -> bool:
    text = kind.json_schema("")["anyOf"][0]
    refused = "not" in text and re.search(text["not"]["pattern"], value)
    return bool(re.search(text["pattern"], value)) and not refused


def taken(kind: WireDecimal, value: object) -> bool:
    try:
        kind.parse(value)
    except PydanticCustomError:
        return False
    return True


@pytest.mark.parametrize("name", KINDS)
@given(value=decimal_like)
def test_a_string_is_taken_exactly_when_the_document_allows_it(name, value):
    assert taken(KINDS[name], value) == documented(KINDS[name], value)


@pytest.mark.parametrize("name", KINDS)
@given(value=st.integers(min_value=-(10**13), max_value=10**13))
def test_an_integer_is_taken_exactly_within_the_documented_bounds(name, value):
    integer = KINDS[name].json_schema("")["anyOf"][1]
    assert taken(KINDS[name], value) == (integer["minimum"] <= value <= integer["maximum"])


def test_an_integral_json_number_is_an_integer_and_a_fraction_is_refused():
    assert MONEY.parse(6836.0) == Decimal(6836)
    assert not taken(MONEY, 6836.5)
    assert not taken(MONEY, True)


def test_the_refusal_says_what_is_wrong():
    with pytest.raises(PydanticCustomError) as refused:
        MONEY.parse("1e5")
    assert refused.value.type == "money_exponent"
    with pytest.raises(PydanticCustomError) as refused:
        MONEY.parse("1.005")
    assert refused.value.type == "money_precision"
    with pytest.raises(PydanticCustomError) as refused:
        MONEY.parse("1000000000000")
    assert refused.value.type == "out_of_range"
    with pytest.raises(PydanticCustomError) as refused:
        POSITIVE_MONEY.parse("0.00")
    assert refused.value.type == "out_of_range"
