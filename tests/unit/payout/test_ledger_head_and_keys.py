"""The ledger's published head and its keys: a book cut back below a head published outside it, or
emptied, or rewritten at it, fails verification naming the head, though its remaining chain is
intact; rows and heads name their key, so verification holds across a key rotation."""

import dataclasses
import uuid
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from services.payout.domain import chain, money
from services.payout.domain.keys import KeyRing, LedgerKey, derived_id, parse
from services.payout.domain.ledger import Ledger
from services.payout.domain.verify import verify

OLD = b"old ledger key, long enough"
NEW = b"new ledger key, long enough"
AT = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)


def history(key=OLD, transfers=None):
    award = uuid.uuid4()
    reservation = money.reserve(award, 2025, "1.1-node", D("600.00"))
    transfers = transfers or [
        money.budget_change(2025, "1.1-node", D(0), D("1000.00")),
        reservation,
        money.settle(reservation, uuid.uuid4(), D("600.00")),
    ]
    ledger = Ledger()
    ledger.apply_all(transfers)
    return list(chain.chained(key, chain.GENESIS, 1, transfers)), ledger.accounts, {str(award): "paid"}


def test_a_book_that_still_holds_its_published_head_verifies():
    rows, accounts, awards = history()
    head = chain.head(OLD, rows[-1].seq, rows[-1].hash, AT)
    assert verify(OLD, rows, accounts, awards, head).problem is None


def test_a_book_cut_back_below_its_published_head_fails_naming_the_head():
    rows, accounts, awards = history()
    head = chain.head(OLD, 3, rows[-1].hash, AT)
    problem = verify(OLD, rows[:2], accounts, awards, head).problem
    assert problem is not None
    assert str(problem).startswith(f"published head #3 (hash {rows[-1].hash[:16]}…, published at {AT.isoformat()})")
    assert "missing from the book (the book holds rows up to #2)" in problem.why


def test_an_emptied_book_fails_when_a_head_was_published():
    rows, _, _ = history()
    head = chain.head(OLD, 3, rows[-1].hash, AT)
    problem = verify(OLD, [], {}, {}, head).problem
    assert problem is not None and problem.where.startswith("published head #3")
    assert "missing from the book (the book is empty)" in problem.why
    assert verify(OLD, [], {}, {}).problem is None  # what the chain alone cannot see


def test_a_book_rebuilt_past_the_head_with_other_rows_fails_at_the_head():
    rows, _, _ = history()
    head = chain.head(OLD, 2, rows[1].hash, AT)
    other, other_accounts, other_awards = history()  # the same kinds of rows, other ids: other hashes
    problem = verify(OLD, other, other_accounts, other_awards, head).problem
    assert problem is not None and "rewritten from there" in problem.why


def test_a_head_whose_mac_does_not_verify_is_refused():
    rows, accounts, awards = history()
    forged = dataclasses.replace(chain.head(OLD, 3, rows[-1].hash, AT), seq=2)
    problem = verify(OLD, rows, accounts, awards, forged).problem
    assert problem is not None and "MAC does not verify" in problem.why
    stranger = chain.head(b"someone else's key material", 3, rows[-1].hash, AT)
    unknown = verify(OLD, rows, accounts, awards, stranger).problem
    assert unknown is not None and f"names ledger key {stranger.key_id}, which is not among" in unknown.why
    posing = dataclasses.replace(stranger, key_id=derived_id(OLD))
    assert "MAC does not verify" in verify(OLD, rows, accounts, awards, posing).problem.why  # type: ignore[union-attr]


def test_the_head_mac_is_the_same_whichever_time_zone_carried_the_time():
    rows, accounts, awards = history()
    head = chain.head(OLD, 3, rows[-1].hash, AT)
    carried = dataclasses.replace(head, published_at=AT.astimezone(datetime.now().astimezone().tzinfo))
    assert verify(OLD, rows, accounts, awards, carried).problem is None


def test_rows_and_heads_made_before_and_after_a_rotation_verify_with_both_keys_listed():
    rows, accounts, awards = history()
    before = chain.head(OLD, 2, rows[1].hash, AT)
    rotated = KeyRing((LedgerKey("new", NEW), LedgerKey(derived_id(OLD), OLD)))
    # The first two rows under the old key, the third under the new one.
    old_part = rows[:2]
    new_part = list(chain.chained(rotated, old_part[-1].hash, 3, [rows[2].transfer]))
    book = old_part + new_part
    assert [r.key_id for r in book] == [derived_id(OLD), derived_id(OLD), "new"]
    after = chain.head(rotated, 3, book[-1].hash, AT)
    assert after.key_id == "new"
    for head in (before, after):
        assert verify(rotated, book, accounts, awards, head).problem is None
    # Without the old key the rows it made cannot be checked, and verification says which key is missing.
    problem = verify(KeyRing((LedgerKey("new", NEW),)), book, accounts, awards).problem
    assert problem is not None and problem.where.startswith("row 1 ") and derived_id(OLD) in problem.why


def test_rows_recorded_before_key_ids_are_checked_with_every_key():
    rows, accounts, awards = history()
    legacy = [dataclasses.replace(r, key_id=None) for r in rows]
    rotated = KeyRing((LedgerKey("new", NEW), LedgerKey(derived_id(OLD), OLD)))
    assert verify(rotated, legacy, accounts, awards).problem is None


def test_ledger_keys_list_signs_with_its_first_and_ledger_key_joins_it_under_a_derived_id():
    ring = parse("k2:second-key-of-the-ledger,k1:first-key-of-the-ledger", "first-key-of-the-ledger")
    assert ring.ids == ("k2", "k1")  # LEDGER_KEY already listed: not twice
    ring = parse("k2:second-key-of-the-ledger", "first-key-of-the-ledger")
    assert ring.ids == ("k2", derived_id(b"first-key-of-the-ledger")) and ring.signing.secret.startswith(b"second")
    assert parse(None, "only-key-of-the-ledger").ids == (derived_id(b"only-key-of-the-ledger"),)
    assert "only-key" not in repr(parse(None, "only-key-of-the-ledger"))


def test_a_malformed_ledger_keys_entry_is_named_without_its_secret():
    with pytest.raises(ValueError, match="LEDGER_KEYS entry 2") as refused:
        parse("k1:a-good-long-ledger-key,no-id-hunter2-secret", None)
    assert "hunter2" not in str(refused.value)
    with pytest.raises(ValueError, match="must differ"):
        parse("k1:a-good-long-ledger-key,k1:another-long-ledger-key", None)
