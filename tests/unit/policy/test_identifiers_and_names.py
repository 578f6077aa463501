"""Identifiers are compared as one key however they are spelt; names and identifiers are text,
never control or bidirectional-control characters."""

import copy
import unicodedata

import pytest

from shared.policy import History, InvalidApplication
from shared.policy.text import BIDI_CONTROLS, identifier_key
from tests.books import BOOK, EXAMPLES, parse_application

C0 = [chr(c) for c in range(0x00, 0x20)]
C1 = [chr(c) for c in range(0x80, 0xA0)]
FORBIDDEN_IN_TEXT = [*C0, "\x7f", *C1, *sorted(BIDI_CONTROLS)]


def node(node_id: str, name: str | None = None) -> dict:
    app = copy.deepcopy(EXAMPLES["1.1-node"])
    app["facts"]["node_id"] = node_id
    if name is not None:
        app["applicant"]["name"] = name
    return app


def refusal(app: dict) -> list[tuple[str, str]]:
    with pytest.raises(InvalidApplication) as refused:
        parse_application(app)
    return [(e.field, e.code) for e in refused.value.errors]


@pytest.mark.parametrize(
    "spelt, key",
    [
        ("SN-001", "sn-001"),
        ("ｓｎ－００１", "sn-001"),  # full-width forms (NFKC)
        (" sn-001 ", "sn-001"),  # surrounding spaces trimmed
        ("\u3000ＳＮ－００１\u00a0", "sn-001"),  # ideographic and no-break spaces are spaces too
        ("Node  \u3000 7", "node 7"),  # inner whitespace collapsed to one space
        ("STRASSE-1", "strasse-1"),
        ("Straße-1", "strasse-1"),  # case folding, not just lower-casing
        ("ⅫA", "xiia"),  # compatibility characters (NFKC)
    ],
)
def test_an_identifier_is_compared_after_nfkc_trimming_case_folding_and_collapsing_spaces(spelt, key):
    assert identifier_key(spelt) == key
    assert identifier_key(key) == key  # a key is its own key


def test_sn_001_full_width_and_spaced_spellings_are_one_node():
    parsed = [parse_application(node(spelt)) for spelt in ("SN-001", "ｓｎ－００１", " sn-001 ")]
    assert {app.facts.node_id for app in parsed} == {"sn-001"}
    keys = {g.subject_key for app in parsed for g in BOOK.evaluate(app).grants}
    assert keys == {"node_id=sn-001"}


def test_the_application_as_sent_keeps_the_partners_spelling():
    sent = node("ｓｎ－００１")
    parse_application(sent)
    assert sent["facts"]["node_id"] == "ｓｎ－００１"


def test_a_node_paid_under_one_spelling_is_not_paid_again_under_another():
    first = BOOK.evaluate(parse_application(node("SN-001")))
    assert first.outcome == "eligible"
    history = History().plus(first)
    for spelt in ("ｓｎ－００１", " sn-001 ", "Sn-001"):
        again = BOOK.evaluate(parse_application(node(spelt)), history)
        assert again.outcome == "ineligible", spelt
        assert "one-time award" in again.reasons[0].en


@pytest.mark.parametrize("character", FORBIDDEN_IN_TEXT, ids=lambda c: f"U+{ord(c):04X}")
def test_a_control_or_bidi_character_is_refused_in_an_identifier_and_in_a_name(character):
    assert refusal(node(f"SN{character}001")) == [("facts.node_id", "invalid_character")]
    assert refusal(node("SN-001", name=f"成都{character}链网科技有限公司")) == [("applicant.name", "invalid_character")]


def test_the_refusal_names_the_field_the_character_and_where_it_is():
    with pytest.raises(InvalidApplication) as refused:
        parse_application(node("SN-001", name="成都链网\u202e司公限有技科"))
    [error] = refused.value.errors
    assert error.field == "applicant.name" and error.code == "invalid_character"
    assert error.message_en == (
        "applicant.name: contains U+202E (RIGHT-TO-LEFT OVERRIDE) at position 5, "
        "a bidirectional control character: not allowed here"
    )
    assert error.message_zh == "applicant.name：含控制字符、双向文本控制字符或不可见字符，不予接受"


@pytest.mark.parametrize(
    "character", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"], ids=lambda c: unicodedata.name(c)
)
def test_an_identifier_refuses_invisible_characters_that_a_name_may_need(character):
    # In a key, an invisible character makes a second node that prints like the first; in a
    # name, joiners are part of how some scripts are written, and nothing is decided on a name.
    assert refusal(node(f"SN-{character}001")) == [("facts.node_id", "invalid_character")]
    assert parse_application(node("SN-001", name=f"Chengdu{character}Chain Ltd")).applicant.name


def test_an_identifier_that_is_only_spaces_is_empty():
    assert refusal(node(" \u3000\u00a0 ")) == [("facts.node_id", "empty_identifier")]


def test_the_openapi_schema_documents_the_identifier_and_name_rules():
    schema = BOOK.parser.adapter.json_schema()
    node_id = schema["$defs"]["Facts_1_1_node"]["properties"]["node_id"]
    assert node_id["pattern"].startswith("^[^\\x00-\\x1f\\x7f-\\x9f") and "NFKC" in node_id["description"]
    name = schema["$defs"]["Applicant"]["properties"]["name"]
    assert name["pattern"] == node_id["pattern"] and name["maxLength"] == 200
