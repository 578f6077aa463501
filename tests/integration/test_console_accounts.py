"""Officials' console accounts, as an operator manages them with `subsidy console users`: each gets
an argon2id password hash and an API key of its own, sealed; revoking ends both; sessions expire."""

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from services.console import accounts, sessions
from services.console.cli import demo_accounts
from services.console.rules import Expiry
from services.console.tables import accounts as account_rows
from services.console.tables import sessions as session_rows
from services.intake.cli import PartnerKeys
from services.intake.tables import api_keys, partners
from shared.secretbox import SecretBox
from tests.conftest import SECRETS_KEY
from tests.wiring import wired

pytestmark = pytest.mark.integration
SUBSIDY = str(Path(sys.executable).parent / "subsidy")
HOURS = Expiry(idle=timedelta(hours=1), absolute=timedelta(hours=8))


def subsidy(stack, *args, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [SUBSIDY, "console", "users", *args],
        capture_output=True,
        text=True,
        timeout=60,
        input=stdin,
        env={**os.environ, "DATABASE_URL": stack.database_url, "SECRETS_KEY": SECRETS_KEY},
    )


@pytest.fixture(scope="module")
async def console_db(stack):
    async with wired(stack.database_url, "console") as console:
        yield console.sessions


async def make(stack, console_db, name: str, role: str, password: str = "a pass phrase long enough"):
    """What `subsidy console users create` does, without starting a process: its key from intake."""
    return await accounts.create(
        console_db, PartnerKeys(stack.database_url), SecretBox(SECRETS_KEY), name, role, password
    )


async def stored(console_db, name: str):
    async with console_db() as session:
        return (await session.execute(select(account_rows).where(account_rows.c.name == name))).first()


async def test_an_account_is_created_with_an_argon2id_hash_and_a_sealed_key_of_its_own_that_works(
    stack, intake, console_db
):
    name = f"expert-{uuid.uuid4().hex[:6]}"
    made = subsidy(stack, "create", name, "--role", "reviewer", "--password-stdin", stdin="a long pass phrase here\n")
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == f"created {name} (reviewer)"  # no password shown: it was given
    row = await stored(console_db, name)
    assert row.role == "reviewer" and row.password_hash.startswith("$argon2id$")
    assert "a long pass phrase here" not in row.password_hash + row.api_key_sealed
    key = SecretBox(SECRETS_KEY).open(row.api_key_sealed)
    assert key.startswith("sk_")
    r = httpx.get(f"{intake.url}/v1/applications", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200  # intake knows the account as a reviewer partner of the same name
    assert await accounts.verify(console_db, name.upper(), "a long pass phrase here") == accounts.Account(
        name, "reviewer"
    )
    assert await accounts.verify(console_db, name, "a long pass phrase, not") is None


def test_without_a_password_one_is_made_and_printed_once(stack):
    name = f"fin-{uuid.uuid4().hex[:6]}"
    made = subsidy(stack, "create", name, "--role", "finance")
    assert made.returncode == 0, made.stderr
    password = made.stdout.split("password: ")[1].split()[0]
    assert len(password) >= 16
    assert f"{name:<24}finance       active" in subsidy(stack, "list").stdout


async def test_a_policy_official_gets_a_key_of_that_role(stack, intake, console_db):
    name = f"policy-{uuid.uuid4().hex[:6]}"
    made = subsidy(stack, "create", name, "--role", "policy_admin")
    assert made.returncode == 0, made.stderr
    assert (await stored(console_db, name)).role == "policy_admin"
    assert f"{name:<24}policy_admin  active" in subsidy(stack, "list").stdout
    async with wired(stack.database_url, "intake") as intake_db, intake_db.sessions() as session:
        role = (await session.execute(select(partners.c.role).where(partners.c.id == name))).scalar_one()
    assert role == "policy_admin"


async def test_weak_passwords_partner_roles_bad_names_and_taken_names_are_refused(stack, console_db):
    name = f"admin-{uuid.uuid4().hex[:6]}"
    weak = subsidy(stack, "create", name, "--role", "admin", "--password-stdin", stdin="short\n")
    assert weak.returncode == 2 and "at least 12 characters" in weak.stderr
    for bad_name, role in ((name, "partner"), ("Bad Name!", "admin"), ("x", "admin")):
        with pytest.raises(ValueError):
            await make(stack, console_db, bad_name, role)
    await make(stack, console_db, name, "admin")
    taken = subsidy(stack, "create", name.upper(), "--role", "admin")
    assert taken.returncode == 2 and "exists already" in taken.stderr


async def test_revoking_an_account_ends_its_sessions_and_revokes_its_key(stack, intake, console_db):
    name = f"gone-{uuid.uuid4().hex[:6]}"
    await make(stack, console_db, name, "admin", "pass phrase of gone")
    token, _ = await sessions.start(console_db, name)
    signed = await sessions.find(console_db, token, HOURS)
    assert signed is not None and signed.account == name
    assert subsidy(stack, "revoke", name).returncode == 0
    assert await sessions.find(console_db, token, HOURS) is None
    assert await accounts.verify(console_db, name, "pass phrase of gone") is None
    async with wired(stack.database_url, "intake") as intake, intake.sessions() as session:
        revoked = (await session.execute(select(api_keys.c.revoked_at).where(api_keys.c.partner_id == name))).all()
    assert len(revoked) == 1 and revoked[0].revoked_at is not None
    assert subsidy(stack, "revoke", "nobody-at-all").returncode == 2


async def test_a_new_password_ends_the_accounts_sessions(stack, console_db):
    name = f"pw-{uuid.uuid4().hex[:6]}"
    await make(stack, console_db, name, "reviewer", "the first pass phrase")
    token, _ = await sessions.start(console_db, name)
    changed = subsidy(stack, "password", name, "--password-stdin", stdin="the second pass phrase\n")
    assert changed.returncode == 0, changed.stderr
    assert await sessions.find(console_db, token, HOURS) is None
    assert await accounts.verify(console_db, name, "the first pass phrase") is None
    assert await accounts.verify(console_db, name, "the second pass phrase") is not None


async def test_a_session_idle_too_long_or_too_old_is_refused_and_deleted(stack, console_db):
    name = f"idle-{uuid.uuid4().hex[:6]}"
    await make(stack, console_db, name, "reviewer")
    token, csrf = await sessions.start(console_db, name)
    found = await sessions.find(console_db, token, HOURS)
    assert found is not None
    assert found.csrf_token == csrf and found.token_hash != token
    async with console_db() as session:  # the cookie's token is not in the table, only its hash
        assert (await session.execute(select(session_rows).where(session_rows.c.token_hash == token))).first() is None
    assert await sessions.find(console_db, token, Expiry(idle=timedelta(0), absolute=timedelta(hours=8))) is None
    assert await sessions.find(console_db, token, HOURS) is None  # gone for good
    old, _ = await sessions.start(console_db, name)
    assert await sessions.find(console_db, old, Expiry(idle=timedelta(hours=1), absolute=timedelta(0))) is None


async def test_a_local_stack_gets_demo_accounts_with_a_new_password_each_run(stack, console_db):
    box, keys = SecretBox(SECRETS_KEY), PartnerKeys(stack.database_url)
    first = {name: password for name, _, password in await demo_accounts(stack.database_url, keys, box)}
    assert set(first) == {"demo-admin", "demo-reviewer"}
    again = {name: password for name, _, password in await demo_accounts(stack.database_url, keys, box)}
    assert again["demo-admin"] != first["demo-admin"]
    assert await accounts.verify(console_db, "demo-admin", first["demo-admin"]) is None
    assert await accounts.verify(console_db, "demo-admin", again["demo-admin"]) == accounts.Account(
        "demo-admin", "admin"
    )
    assert await accounts.verify(console_db, "demo-reviewer", again["demo-reviewer"]) is not None
