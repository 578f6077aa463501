"""The ledger's hash chain, keyed: each transfer row carries an HMAC-SHA256, under a ledger key
(named by the row's key id), of its own content and the previous row's hash. Editing, inserting or
deleting any row breaks the chain from there on, and without the key nobody — a database superuser
included — can compute the hashes a rewritten history would need.

What the chain alone cannot show is that rows were cut off its end, or that the whole book was
emptied: a shorter chain is still a chain. So its head — the newest row's sequence number and hash,
with a MAC under the signing key and the time it was published — is handed to parties outside the
payout database (the finance system with every batch, each ledger report, an event), after
Certificate Transparency's signed tree heads; `check_head` holds the book to the newest of them.
"""

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from services.payout.domain.keys import KeyRing, LedgerKey
from services.payout.domain.ledger import Transfer

GENESIS = "0" * 64


def content(t: Transfer) -> bytes:
    """A transfer's canonical bytes: every field, in a fixed order, unambiguous (JSON)."""
    return json.dumps(
        [
            str(t.id),
            t.kind,
            t.debit,
            t.credit,
            f"{t.amount:.2f}",
            str(t.pending_id) if t.pending_id else "",
            t.code,
            t.ref,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def link(key: bytes, prev_hash: str, t: Transfer) -> str:
    return hmac.new(key, prev_hash.encode() + b"|" + content(t), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Link:
    seq: int
    transfer: Transfer
    prev_hash: str
    hash: str
    key_id: str | None = None  # None: recorded before rows named their key


def chained(key: bytes | KeyRing, prev_hash: str, first_seq: int, transfers: Iterable[Transfer]) -> Iterator[Link]:
    """The rows that append `transfers` after the row whose hash is `prev_hash`, under the signing key."""
    signing = KeyRing.of(key).signing
    for seq, t in enumerate(transfers, start=first_seq):
        h = link(signing.secret, prev_hash, t)
        yield Link(seq, t, prev_hash, h, signing.id)
        prev_hash = h


def broken_link(key: bytes | KeyRing, expected_prev: str, row: Link) -> str | None:
    """Why this row does not continue the chain, if it does not."""
    ring = KeyRing.of(key)
    if row.prev_hash != expected_prev:
        return "its previous hash is not the hash of the row before it (a row was removed, inserted or reordered)"
    candidates = ring.candidates(row.key_id)
    if not candidates:
        return f"it names ledger key {row.key_id}, which is not among the configured keys ({', '.join(ring.ids)})"
    if not any(hmac.compare_digest(link(k.secret, row.prev_hash, row.transfer), row.hash) for k in candidates):
        return "its hash does not match its content under the ledger key (the row was rewritten)"
    return None


@dataclass(frozen=True)
class Head:
    """The chain's newest row as published: its sequence number and hash, when, and a MAC over those
    under the key `key_id` names. Sequence 0 with the genesis hash is the head of an empty book."""

    seq: int
    hash: str
    published_at: datetime
    key_id: str
    mac: str

    def __str__(self) -> str:
        return f"published head #{self.seq} (hash {self.hash[:16]}…, published at {self.published_at.isoformat()})"


def _head_mac(key: LedgerKey, seq: int, hash_: str, published_at: datetime) -> str:
    # The time in UTC, as ISO 8601 with microseconds: the same text wherever the head was carried.
    when = published_at.astimezone(UTC).isoformat(timespec="microseconds")
    text = json.dumps(["subsidy.ledger-head", seq, hash_, when], separators=(",", ":"))
    return hmac.new(key.secret, text.encode(), hashlib.sha256).hexdigest()


def head(key: bytes | KeyRing, seq: int, hash_: str, published_at: datetime) -> Head:
    """The head to publish for the row `seq` whose hash is `hash_`, signed with the signing key."""
    signing, published_at = KeyRing.of(key).signing, published_at.astimezone(UTC)
    return Head(seq, hash_, published_at, signing.id, _head_mac(signing, seq, hash_, published_at))


def check_head(key: bytes | KeyRing, published: Head, at_seq: Link | None, last_seq: int) -> str | None:
    """Why the book does not hold the published head, if it does not: `at_seq` is the book's row at the
    head's sequence number (None when there is none), `last_seq` its newest (0 when it is empty)."""
    ring = KeyRing.of(key)
    candidates = ring.candidates(published.key_id)
    if not candidates:
        return f"it names ledger key {published.key_id}, which is not among the configured keys ({', '.join(ring.ids)})"
    if not any(
        hmac.compare_digest(_head_mac(k, published.seq, published.hash, published.published_at), published.mac)
        for k in candidates
    ):
        return "its MAC does not verify under the ledger keys: it was not published by this ledger, or was altered"
    if published.seq == 0:
        return None
    if at_seq is None:
        held = f"the book holds rows up to #{last_seq}" if last_seq else "the book is empty"
        return f"is missing from the book ({held}): rows were removed from its end"
    if not hmac.compare_digest(at_seq.hash, published.hash):
        return f"is not the book's row #{published.seq} (hash {at_seq.hash[:16]}…): the book was rewritten from there"
    return None
