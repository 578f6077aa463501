"""An application may say whom to tell, and in which language; bad contacts are refused by field."""

import copy

import pytest

from shared.policy import InvalidApplication
from tests.books import EXAMPLES, parse_application


def with_contact(contact) -> dict:
    application = copy.deepcopy(EXAMPLES["1.1-node"])
    application["contact"] = contact
    return application


def refusal(contact) -> list[tuple[str, str]]:
    with pytest.raises(InvalidApplication) as e:
        parse_application(with_contact(contact))
    return [(f.field, f.code) for f in e.value.errors]


def test_an_application_without_a_contact_is_still_valid():
    assert parse_application(copy.deepcopy(EXAMPLES["1.1-node"])).contact is None


def test_a_contact_defaults_to_chinese_and_keeps_its_address_normalised():
    contact = parse_application(with_contact({"email": "Zhang.Wei@Example.CN"})).contact
    assert contact is not None
    assert (contact.email, contact.phone, contact.language) == ("Zhang.Wei@example.cn", None, "zh")


def test_a_contact_may_ask_for_english_and_give_a_phone():
    contact = parse_application(
        with_contact({"email": "ops@chain.cn", "phone": "+86 138-0000-0000", "language": "en"})
    ).contact
    assert contact is not None
    assert (contact.phone, contact.language) == ("+86 138-0000-0000", "en")


@pytest.mark.parametrize(
    "contact, refused",
    [
        ({"email": "zhang@"}, [("contact.email", "invalid_email")]),
        ({"email": "not an address"}, [("contact.email", "invalid_email")]),
        ({"email": "a@b.cn", "phone": "call me"}, [("contact.phone", "invalid_phone")]),
        ({"email": "a@b.cn", "phone": "12345"}, [("contact.phone", "invalid_phone")]),
        ({"email": "a@b.cn", "language": "fr"}, [("contact.language", "invalid_choice")]),
        ({"phone": "13800000000"}, [("contact.email", "missing")]),
        ({"email": "a@b.cn", "fax": "1"}, [("contact.fax", "unknown_field")]),
        ("a@b.cn", [("contact", "wrong_type")]),
    ],
)
def test_a_bad_contact_is_refused_naming_the_field(contact, refused):
    assert refusal(contact) == refused


def test_a_refusal_says_why_in_chinese_too():
    with pytest.raises(InvalidApplication) as e:
        parse_application(with_contact({"email": "x@", "phone": "x"}))
    assert [f.message_zh for f in e.value.errors] == [
        "contact.email：电子邮箱地址无效",
        "contact.phone：电话号码无效：可选 +，后接 6 至 15 位数字",
    ]
