"""The ledger's hash chain, keyed: each transfer row carries an HMAC-SHA256, under LEDGER_KEY, of
its own content and the previous row's hash. Editing, inserting or deleting any row breaks the
chain from there on, and without the key nobody — a database superuser included — can compute the
hashes a rewritten history would need.
"""

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

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


def chained(key: bytes, prev_hash: str, first_seq: int, transfers: Iterable[Transfer]) -> Iterator[Link]:
    """The rows that append `transfers` after the row whose hash is `prev_hash`."""
    for seq, t in enumerate(transfers, start=first_seq):
        h = link(key, prev_hash, t)
        yield Link(seq, t, prev_hash, h)
        prev_hash = h


def broken_link(key: bytes, expected_prev: str, row: Link) -> str | None:
    """Why this row does not continue the chain, if it does not."""
    if row.prev_hash != expected_prev:
        return "its previous hash is not the hash of the row before it (a row was removed, inserted or reordered)"
    if not hmac.compare_digest(link(key, row.prev_hash, row.transfer), row.hash):
        return "its hash does not match its content under the ledger key (the row was rewritten)"
    return None
