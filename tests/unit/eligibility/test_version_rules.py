"""The rules of a policy version's lifecycle: four eyes, an approved text never changes, a withdrawal
only before the first day with nothing decided; and the check a draft's text passes."""

from datetime import date

import pytest

from services.eligibility.domain import versions as rules
from services.eligibility.domain.versions import Drafting, Record, State
from services.eligibility.versions import check_source, invalid
from shared.policy import load_policies
from shared.policy_versions import content_hash
from shared.refusal import Refused
from tests.policy_files import BUNDLED, illustration

SUCCESSOR = illustration("chengdu-blockchain-2025", "2025-02-10", "2027-02-09")


def record(state: State = State.DRAFT, *, drafted_by: str = "张三", first_day: date = date(2027, 1, 1)) -> Record:
    return Record("v-2027", "hash-a", state, first_day, drafted_by)


def refused(code: str, call, *args) -> Refused:
    with pytest.raises(Refused) as caught:
        call(*args)
    assert caught.value.code == code
    return caught.value


def test_a_new_id_is_drafted_and_a_drafts_new_text_replaces_it():
    assert rules.draft(None, "v-2027", "hash-a") is Drafting.NEW
    assert rules.draft(record(), "v-2027", "hash-b") is Drafting.REDRAFTED
    assert rules.draft(record(), "v-2027", "hash-a") is Drafting.UNCHANGED


def test_an_approved_version_never_changes_and_a_withdrawn_id_is_never_used_again():
    changed = refused("version_approved", rules.draft, record(State.APPROVED), "v-2027", "hash-b")
    assert "never changes" in changed.message_en
    refused("version_approved", rules.draft, record(State.APPROVED), "v-2027", "hash-a")
    refused("version_withdrawn", rules.draft, record(State.WITHDRAWN), "v-2027", "hash-a")


def test_the_drafter_may_not_approve_whoever_spells_the_name():
    for same in ("张三", " 张三 "):
        four_eyes = refused("four_eyes", rules.approve, record(), same)
        assert four_eyes.status == 403 and "four eyes" in four_eyes.message_en and "张三" in four_eyes.message_en
    refused("four_eyes", rules.approve, record(drafted_by="Li Si"), "li  si")
    refused("four_eyes", rules.approve, record(drafted_by="ＬＩ ＳＩ"), "li si")  # full-width, as an IME types it
    rules.approve(record(), "李四")  # another official: allowed


def test_only_a_draft_is_approved():
    assert refused("version_approved", rules.approve, record(State.APPROVED), "李四").status == 409
    refused("version_withdrawn", rules.approve, record(State.WITHDRAWN), "李四")


def test_an_approved_version_is_withdrawn_only_before_its_first_day_with_nothing_decided_under_it():
    approved = record(State.APPROVED, first_day=date(2027, 1, 1))
    rules.withdraw(approved, date(2026, 12, 31), decided_under_it=False)
    in_force = refused("version_in_force", rules.withdraw, approved, date(2027, 1, 1), False)
    assert "before its first day" in in_force.message_en
    refused("version_used", rules.withdraw, approved, date(2026, 6, 1), True)
    refused("version_withdrawn", rules.withdraw, record(State.WITHDRAWN), date(2026, 6, 1), False)


def test_a_draft_may_be_withdrawn_any_time():
    rules.withdraw(record(first_day=date(2020, 1, 1)), date(2026, 6, 1), decided_under_it=True)


def test_who_acts_must_be_named():
    assert rules.official("  王五 ") == "王五"
    assert refused("official_required", rules.official, "   ").status == 422


def test_a_successor_fits_the_bundled_book():
    assert check_source(SUCCESSOR, load_policies()) == []


def test_a_draft_that_is_no_version_or_does_not_fit_the_book_is_told_why_key_by_key():
    book = load_policies()

    def codes(text: str) -> list[tuple[str, str]]:
        return [(p.key, p.code) for p in check_source(text, book)]

    assert codes("id = 'x'\nfirst_day = ") == [("first_day", "bad_date")]
    assert codes(SUCCESSOR.replace('window_article = "施行期"', "")) == [("window_article", "missing")]
    assert codes(SUCCESSOR.replace('tier_mode = "every_tier"', "tier_mode = 3")) == [("tier_mode", "wrong_type")]
    assert codes(illustration("chengdu-blockchain-2025", "2023-02-10", "2027-02-09")) == [
        ("first_day", "same_first_day")
    ]


def test_a_version_of_the_book_is_not_published_again_even_with_its_own_text():
    (again,) = check_source(BUNDLED.read_text(encoding="utf-8"), load_policies())
    assert (again.key, again.code) == ("id", "version_in_book") and "an id of its own" in again.en


def test_a_refusal_names_each_problem_as_a_field_of_the_source():
    refusal = invalid(check_source(SUCCESSOR.replace('window_article = "施行期"', ""), load_policies()))
    assert (refusal.code, refusal.status) == ("invalid_policy_version", 422)
    assert refusal.fields == [
        {
            "field": "source.window_article",
            "code": "missing",
            "message_en": "window_article is required",
            "message_zh": "缺少必填项 window_article",
        }
    ]
    assert "window_article" in refusal.message_en


def test_a_texts_hash_is_the_sha256_of_its_bytes_as_a_bundled_files():
    assert content_hash(BUNDLED.read_text(encoding="utf-8")) == load_policies().versions[0].content_hash
