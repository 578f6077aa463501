"""The ledger's keys, each with an id: the first signs new rows and heads, every one verifies, so a
key is rotated by putting a new one first and keeping the old one as long as rows made with it
remain (that is, for ever: ledger rows are never rewritten).

A key's text is its secret (its UTF-8 bytes are the HMAC key), as `LEDGER_KEY` always was. A key
given without an id (the single `LEDGER_KEY`) gets one derived from it: the first 8 hex digits of a
SHA-256 over a fixed label and the key, which names the key without revealing anything usable.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


def derived_id(secret: bytes) -> str:
    return hashlib.sha256(b"subsidy ledger key id\x00" + secret).hexdigest()[:8]


@dataclass(frozen=True)
class LedgerKey:
    id: str
    secret: bytes

    def __repr__(self) -> str:  # never the secret, in a log or a traceback
        return f"LedgerKey({self.id!r})"


@dataclass(frozen=True)
class KeyRing:
    keys: tuple[LedgerKey, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("a ledger key ring holds at least one key")
        ids = [k.id for k in self.keys]
        if len(set(ids)) != len(ids):
            raise ValueError(f"ledger key ids must differ: {', '.join(ids)}")

    @classmethod
    def of(cls, key: bytes | KeyRing) -> KeyRing:
        """A ring from a single key (its id derived), or the ring itself."""
        return key if isinstance(key, KeyRing) else cls((LedgerKey(derived_id(key), key),))

    @property
    def signing(self) -> LedgerKey:
        return self.keys[0]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(k.id for k in self.keys)

    def get(self, key_id: str) -> LedgerKey | None:
        return next((k for k in self.keys if k.id == key_id), None)

    def candidates(self, key_id: str | None) -> tuple[LedgerKey, ...]:
        """The keys a row or head made under `key_id` may be checked with: that one, or every key
        for a row recorded before rows named their key (no id)."""
        if key_id is None:
            return self.keys
        found = self.get(key_id)
        return (found,) if found else ()


def parse(ledger_keys: str | None, ledger_key: str | None) -> KeyRing:
    """The ring of `LEDGER_KEYS` (`id:key,id:key…`, the first signing) followed by `LEDGER_KEY` (one
    key, its id derived) unless the latter is already in the ring. ValueError naming the entry (by
    position and id, never by its secret) when one is malformed."""
    keys: list[LedgerKey] = []
    for n, entry in enumerate((e.strip() for e in (ledger_keys or "").split(",")), start=1):
        if not entry:
            continue
        key_id, sep, secret = entry.partition(":")
        if not sep or not KEY_ID.match(key_id) or len(secret) < 16:
            raise ValueError(
                f"LEDGER_KEYS entry {n} must be `id:key`: an id of 1–32 letters, digits, '.', '_' or '-', "
                "and a key of at least 16 characters"
            )
        keys.append(LedgerKey(key_id, secret.encode()))
    if ledger_key:
        single = ledger_key.encode()
        if all(k.secret != single for k in keys):
            keys.append(LedgerKey(derived_id(single), single))
    return KeyRing(tuple(keys))


def render(ring: KeyRing) -> str:
    """The ring as a `LEDGER_KEYS` value."""
    return ",".join(f"{k.id}:{k.secret.decode()}" for k in ring.keys)
