"""What eligibility's policy checks say of a text, without a database: the documented example is a
version that fits the bundled policy, and a diff carries each change in both languages."""

from services.eligibility.api.checks import EXAMPLE_SOURCE
from services.eligibility.checks import diff_json, fitted, newest_other, readable
from shared.policy import load_policies
from shared.policy.diff import diff
from shared.policy.validation import validate
from tests.policy_files import SUCCESSOR_ID, successor


def test_the_documented_example_is_a_version_that_fits_the_bundled_policy():
    book = load_policies()
    assert validate(EXAMPLE_SOURCE, book) == []
    version, with_it = fitted(EXAMPLE_SOURCE, book)
    assert version.id == "example-renewal-2027" and [v.id for v in with_it.versions][-1] == version.id


def test_a_diff_names_each_change_in_chinese_and_english():
    book = load_policies()
    renewal = readable(successor())
    assert renewal is not None and renewal.id == SUCCESSOR_ID
    old = newest_other(book, renewal.id)
    assert old is not None and old.id == "chengdu-blockchain-2023"
    result = diff_json(diff(old, renewal))
    [node] = [c for c in result["clauses"] if c["clause"] == "1.1-node"]
    assert node["changes"] == [
        {
            "what": "rate",
            "item": None,
            "old": "0.20",
            "new": "0.30",
            "zh": "比例：0.20 → 0.30",
            "en": "rate: 0.20 → 0.30",
        }
    ]
    assert len(result["unchanged"]) == len(renewal.rules) - 1


def test_a_text_that_is_no_version_is_not_readable():
    assert readable('id = "x"\n') is None
    assert readable("not toml at all [") is None
