"""Secrets we must be able to read back (partners' webhook secrets sign every delivery), kept
encrypted wherever they rest or travel: in events, and in tables.

A sealed secret is a Fernet token (AES-128-CBC with HMAC-SHA256, from `cryptography`), keyed by
the `SECRETS_KEY` setting. That setting may list several keys separated by commas: the first
seals, every one opens, so a key is rotated by putting the new one first and dropping the old one
once nothing sealed with it remains.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from shared.settings import Settings


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


class SecretBox:
    def __init__(self, keys: str):
        self._fernet = MultiFernet(parse_keys(keys))

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        if settings.secrets_key is None:
            raise SecretsKeyMissing(
                f"{settings.service_name} needs SECRETS_KEY, the key partners' webhook secrets are encrypted "
                "with (make one with `python -m shared.secretbox`)"
            )
        return cls(settings.secrets_key.get_secret_value())

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, UnicodeError):
            raise SecretUnreadable("the secret was sealed with another SECRETS_KEY, or altered") from None


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
