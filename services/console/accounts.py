"""Officials' accounts: each holds one role and its own API key, with which the console acts on
the official's behalf, so that every other service sees the official as themselves.

Passwords are hashed with argon2id (`argon2-cffi`, RFC 9106's low-memory profile); the API key is
issued by intake (a `KeyIssuer` the `subsidy` command hands over, as `subsidy partners create`
would) and kept sealed with SECRETS_KEY. Revoking an account revokes its key and ends its sessions.
"""

import asyncio
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.console.tables import accounts
from services.console.tables import sessions as session_rows
from shared.auth import KeyIssuer, PartnerExists
from shared.secretbox import SecretBox, reseal_rows

ROLES = ("reviewer", "finance", "admin", "policy_admin")  # partners do not sign in to the console
MIN_PASSWORD_LENGTH = 12
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,62}")
HASHER = PasswordHasher()


class AccountExists(ValueError):
    pass


class UnknownAccount(LookupError):
    pass


@dataclass(frozen=True)
class Account:
    name: str
    role: str


@dataclass(frozen=True)
class Created:
    name: str
    role: str
    api_key: str = ""  # returned to the caller, never printed by the CLI


def normalise_name(name: str) -> str:
    return name.strip().lower()


def check_name(name: str) -> str:
    name = normalise_name(name)
    if not NAME.fullmatch(name):
        raise ValueError(
            "account name: 2–63 characters, lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in password):
        raise ValueError("password: no control characters")
    return password


def new_password() -> str:
    return secrets.token_urlsafe(15)  # 20 characters, 120 bits


@cache
def _dummy_hash() -> str:
    """Checked against when the account does not exist, so that the answer takes as long."""
    return HASHER.hash(secrets.token_urlsafe(16))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def create(
    console: async_sessionmaker, keys: KeyIssuer, box: SecretBox, name: str, role: str, password: str
) -> Created:
    """Creates the account and issues its API key (a partner of intake named like the account)."""
    name, password = check_name(name), check_password(password)
    if role not in ROLES:
        raise ValueError(f"role: one of {', '.join(ROLES)}")
    async with console() as session:
        if (await session.execute(select(accounts.c.name).where(accounts.c.name == name))).first():
            raise AccountExists(name)
    password_hash = await asyncio.to_thread(HASHER.hash, password)
    try:
        key = await keys.issue(name, role)
    except PartnerExists:
        raise AccountExists(f"{name} (an API partner of that name exists)") from None
    try:
        async with console.begin() as session:
            await session.execute(
                insert(accounts).values(name=name, role=role, password_hash=password_hash, api_key_sealed=box.seal(key))
            )
    except BaseException:
        await keys.revoke(name)  # no key is left behind without its account
        raise
    return Created(name, role, key)


async def revoke(console: async_sessionmaker, keys: KeyIssuer, name: str) -> None:
    """The account can no longer sign in, its sessions end and its API key stops working."""
    name = normalise_name(name)
    async with console.begin() as session:
        done = (
            await session.execute(
                update(accounts)
                .where(accounts.c.name == name, accounts.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
                .returning(accounts.c.name)
            )
        ).first()
        if done is None and not (await session.execute(select(accounts.c.name).where(accounts.c.name == name))).first():
            raise UnknownAccount(name)
        await session.execute(delete(session_rows).where(session_rows.c.account == name))
    await keys.revoke(name)


async def set_password(console: async_sessionmaker, name: str, password: str) -> None:
    """A new password; the account's sessions end."""
    name, password = normalise_name(name), check_password(password)
    password_hash = await asyncio.to_thread(HASHER.hash, password)
    async with console.begin() as session:
        done = (
            await session.execute(
                update(accounts)
                .where(accounts.c.name == name, accounts.c.revoked_at.is_(None))
                .values(password_hash=password_hash)
                .returning(accounts.c.name)
            )
        ).first()
        if done is None:
            raise UnknownAccount(name)
        await session.execute(delete(session_rows).where(session_rows.c.account == name))


async def listing(console: async_sessionmaker) -> list:
    async with console() as session:
        return (
            await session.execute(
                select(accounts.c.name, accounts.c.role, accounts.c.created_at, accounts.c.revoked_at).order_by(
                    accounts.c.name
                )
            )
        ).all()


async def verify(console: async_sessionmaker, name: str, password: str) -> Account | None:
    """The account, if the name and password are right and it is not revoked. It takes as long
    whether the account exists or not, and says nothing of which."""
    name = normalise_name(name)
    async with console() as session:
        row = (
            await session.execute(select(accounts).where(accounts.c.name == name, accounts.c.revoked_at.is_(None)))
        ).first()
    if row is None:
        await asyncio.to_thread(_verify, _dummy_hash(), password)
        return None
    if not await asyncio.to_thread(_verify, row.password_hash, password):
        return None
    if HASHER.check_needs_rehash(row.password_hash):  # the parameters were raised since
        fresh = await asyncio.to_thread(HASHER.hash, password)
        async with console.begin() as session:
            await session.execute(update(accounts).where(accounts.c.name == name).values(password_hash=fresh))
    return Account(row.name, row.role)


async def reseal(session: AsyncSession, box: SecretBox) -> int:
    """Accounts' API keys resealed with the first SECRETS_KEY, after a rotation."""
    return await reseal_rows(session, accounts, "name", "api_key_sealed", box=box)
