"""Secrets we must be able to read back (partners' webhook secrets sign every delivery), kept
encrypted wherever they rest or travel: in events, and in tables.

A sealed secret is `<key id>:<Fernet token>` (AES-128-CBC with HMAC-SHA256, from `cryptography`),
keyed by the `SECRETS_KEY` setting. That setting may list several keys separated by commas: the
first seals, every one opens, so a key is rotated by putting the new one first, resealing what the
services keep (`subsidy keys rotate secrets` does both), and dropping the old key once nothing sealed
with it remains (events that carried it included). The key id — the first 8 hex digits of a SHA-256
over a fixed label and the key — names the key without revealing it: the token is opened with that
key alone, and a secret sealed with a key no longer configured is named as such. A token without an
id (sealed before ids) is tried with every key.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from shared.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.ext.asyncio import AsyncSession


class SecretsKeyMissing(RuntimeError):
    pass


class SecretUnreadable(ValueError):
    """The sealed secret was not made with any of the configured keys, or was altered."""


def parse_keys(value: str) -> list[Fernet]:
    """The Fernet keys in a SECRETS_KEY value; ValueError (naming no key) if one is malformed."""
    keys = [k.strip() for k in value.split(",") if k.strip()]
    if not keys:
        raise ValueError("SECRETS_KEY holds no key")
    try:
        return [Fernet(k) for k in keys]
    except ValueError:
        raise ValueError(
            "each SECRETS_KEY entry must be a Fernet key: 32 bytes, url-safe base64 "
            "(make one with `python -m shared.secretbox`)"
        ) from None


def key_id(key: str) -> str:
    """The id of a Fernet key as sealed secrets name it."""
    return hashlib.sha256(b"subsidy secrets key id\x00" + key.strip().encode()).hexdigest()[:8]


class SecretBox:
    def __init__(self, keys: str):
        listed = [k.strip() for k in keys.split(",") if k.strip()]
        fernets = parse_keys(keys)
        self._fernet = MultiFernet(fernets)
        self._by_id = dict(zip((key_id(k) for k in listed), fernets, strict=True))
        self.ids = tuple(self._by_id)  # the first seals

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        if settings.secrets_key is None:
            raise SecretsKeyMissing(
                f"{settings.service_name} needs SECRETS_KEY, the key partners' webhook secrets are encrypted "
                "with (make one with `python -m shared.secretbox`)"
            )
        return cls(settings.secrets_key.get_secret_value())

    def seal(self, secret: str) -> str:
        return f"{self.ids[0]}:{self._fernet.encrypt(secret.encode()).decode('ascii')}"

    def open(self, sealed: str) -> str:
        kid, token = sealed_with(sealed), sealed.rpartition(":")[2]
        fernet = self._fernet if kid is None else self._by_id.get(kid)
        if fernet is None:
            raise SecretUnreadable(f"the secret was sealed with key {kid}, which SECRETS_KEY does not hold")
        try:
            return fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, UnicodeError):
            raise SecretUnreadable("the secret was sealed with another SECRETS_KEY, or altered") from None

    def reseal(self, sealed: str) -> str:
        """The same secret sealed with the first key; as it is when it already was. SecretUnreadable
        when no configured key opens it."""
        return sealed if sealed_with(sealed) == self.ids[0] else self.seal(self.open(sealed))


def sealed_with(sealed: str) -> str | None:
    """The id of the key a sealed secret names; None for one sealed before ids."""
    kid, sep, _ = sealed.partition(":")
    return kid if sep else None


async def reseal_rows(session: AsyncSession, table: Table, key: str, *columns: str, box: SecretBox) -> int:
    """Reseals the secrets kept in `columns` of `table` (a service's own, rows named by `key`) with
    the box's first key, each row locked while it is; how many secrets changed. The secret inside is
    the same, so a reader that opens one before or after its row is resealed sees no difference."""
    from sqlalchemy import select, update

    changed = 0
    rows = await session.execute(select(table.c[key], *(table.c[c] for c in columns)).with_for_update())
    for row in rows.all():
        values = {c: box.reseal(v) for c, v in zip(columns, row[1:], strict=True) if v}
        values = {c: v for c, v in values.items() if v != row._mapping[c]}
        if values:
            await session.execute(update(table).where(table.c[key] == row[0]).values(**values))
            changed += len(values)
    return changed


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def development_key(path: Path) -> str:
    """The key kept at `path` for a local stack, made on first use (readable by its owner only)."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(new_key())
    return path.read_text().strip()


if __name__ == "__main__":
    # `python -m shared.secretbox` prints a new key; `python -m shared.secretbox FILE` prints the
    # key kept in FILE, making it the first time (what `make run` does with .data/secrets.key).
    print(development_key(Path(sys.argv[1])) if len(sys.argv) > 1 else new_key())
