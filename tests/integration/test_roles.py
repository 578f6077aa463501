"""Least privilege: each service connects as its own role, which reaches its own schema and no
other's; payout's may add to its ledger and never change what is there; the schemas belong to their
owners, whom only the migrations become."""

import asyncio
import json
import uuid

import asyncpg
import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from services.cli import app
from shared import migrations, roles
from shared.stack import SERVICES
from tests.infra import create_database
from tests.money_tools import fund

pytestmark = pytest.mark.integration
DENIED = "42501"  # insufficient_privilege


async def connect(stack, role: str | None = None) -> asyncpg.Connection:
    url = roles.login_url(stack.database_url, role) if role else stack.database_url
    return await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))


async def refused(conn: asyncpg.Connection, statement: str) -> str:
    """The SQLSTATE the statement is refused with (inside a transaction rolled back either way)."""
    with pytest.raises(asyncpg.PostgresError) as error:
        async with conn.transaction():
            await conn.execute(statement)
    return error.value.sqlstate


@pytest.mark.parametrize("service", SERVICES)
async def test_a_services_role_uses_its_own_schema_and_is_refused_every_other(stack, service):
    conn = await connect(stack, service)
    try:
        assert await conn.fetchval("SELECT current_user") == service
        await conn.fetchval(f"SELECT count(*) FROM {service}.outbox")  # its own: allowed
        for other in SERVICES:
            if other != service:
                assert await refused(conn, f"SELECT 1 FROM {other}.outbox LIMIT 1") == DENIED, other
                assert await refused(conn, f"INSERT INTO {other}.inbox VALUES ('x', 'y')") == DENIED, other
        assert await refused(conn, "CREATE TABLE public.anything (i int)") == DENIED
        # Its schema's shape is the migrations' (its owner's) to change, not the service's.
        assert await refused(conn, f"CREATE TABLE {service}.anything (i int)") == DENIED
        assert await refused(conn, f"DROP TABLE {service}.outbox") == DENIED
    finally:
        await conn.close()


async def test_no_services_role_is_privileged_and_each_schema_belongs_to_its_owner(stack):
    conn = await connect(stack)
    try:
        privileged = await conn.fetch(
            """SELECT rolname FROM pg_roles WHERE rolname = ANY($1)
               AND (rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls OR rolreplication)""",
            [*SERVICES, *map(roles.owner, SERVICES), roles.MIGRATOR],
        )
        assert privileged == []
        strays = await conn.fetch(
            """SELECT n.nspname, c.relname, c.relowner::regrole::text AS owner FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = ANY($1) AND c.relowner <> to_regrole(n.nspname || '_owner')""",
            list(SERVICES),
        )
        assert strays == []
    finally:
        await conn.close()


async def test_payouts_role_adds_to_the_ledger_and_is_refused_any_change_to_its_rows(stack):
    await fund(roles.login_url(stack.database_url, "payout"), amount="1000.00")
    conn = await connect(stack, "payout")
    try:
        assert await conn.fetchval("SELECT count(*) FROM payout.transfers") > 0
        assert await conn.fetchval("SELECT has_table_privilege('payout.transfers', 'INSERT')")
        assert await refused(conn, "UPDATE payout.transfers SET amount = amount + 1") == DENIED
        assert await refused(conn, "DELETE FROM payout.transfers") == DENIED
        assert await refused(conn, "TRUNCATE payout.transfers") == DENIED
        for change in ("DISABLE TRIGGER transfers_append_only", "DISABLE TRIGGER ALL", "OWNER TO payout"):
            assert await refused(conn, f"ALTER TABLE payout.transfers {change}") == DENIED, change
        assert await refused(conn, "SET ROLE payout_owner") == DENIED
        # The rest of its schema it keeps up to date, as the service does.
        assert await conn.fetchval("SELECT has_table_privilege('payout.accounts', 'UPDATE')")
    finally:
        await conn.close()


async def test_migrations_run_as_the_owner_and_a_services_role_may_not_run_them(stack):
    await migrations.upgrade("payout", "payout", roles.login_url(stack.database_url, roles.MIGRATOR))
    with pytest.raises(PermissionError, match="connect as subsidy_migrate"):
        await migrations.upgrade("payout", "payout", roles.login_url(stack.database_url, "payout"))
    migrator = await connect(stack, roles.MIGRATOR)
    try:  # it has no rights of its own: only an owner's, once it takes that role
        assert await refused(migrator, "SELECT 1 FROM payout.transfers LIMIT 1") == DENIED
    finally:
        await migrator.close()


async def test_no_service_process_is_connected_as_a_superuser(stack, services):
    conn = await connect(stack)
    try:
        sessions = await conn.fetch(
            """SELECT a.application_name, a.usename, r.rolsuper FROM pg_stat_activity a
               JOIN pg_roles r ON r.oid = a.usesysid
               WHERE a.datname = current_database() AND a.application_name = ANY($1)""",
            list(SERVICES),
        )
    finally:
        await conn.close()
    assert {s["application_name"] for s in sessions} == set(SERVICES)  # every service is connected…
    for session in sessions:  # …each as its own role, none a superuser
        assert (session["usename"], session["rolsuper"]) == (session["application_name"], False), dict(session)


async def test_an_earlier_releases_schema_is_handed_to_its_owner(postgres):
    url = await create_database(postgres.url_template, f"test_roles_{uuid.uuid4().hex[:8]}")
    engine = create_async_engine(url)
    try:  # migrated as an earlier release did: by whoever connected (here the superuser)
        async with engine.begin() as conn:
            await conn.execute(text('CREATE SCHEMA "payout"'))
            await conn.run_sync(lambda c: command.upgrade(migrations._config("payout", c), "head"))
    finally:
        await engine.dispose()
    await roles.create(url, ["payout"])
    await migrations.upgrade("payout", "payout", url)
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        owners = await conn.fetch(
            """SELECT DISTINCT c.relowner::regrole::text AS owner FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'payout'
               UNION SELECT p.proowner::regrole::text FROM pg_proc p
               JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'payout'
               UNION SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'payout'"""
        )
        assert [o["owner"] for o in owners] == ["payout_owner"]
        assert await conn.fetchval("SELECT has_table_privilege('payout', 'payout.transfers', 'INSERT')")
        assert not await conn.fetchval("SELECT has_table_privilege('payout', 'payout.transfers', 'UPDATE')")
    finally:
        await conn.close()


def test_subsidy_roles_sets_each_named_roles_password_and_refuses_a_stranger(stack, monkeypatch):
    # The tests' server either trusts its socket (any password will do) or takes the ones derived
    # from its administrator's, which the services here connect with: keep those.
    passwords = roles.development_passwords(stack.database_url, ["payout"]) or {"payout": "any"}
    monkeypatch.setenv("DATABASE_URL", stack.database_url)
    monkeypatch.setenv("DATABASE_PASSWORDS", json.dumps(passwords))
    done = CliRunner().invoke(app, ["roles"])
    assert done.exit_code == 0, done.output
    monkeypatch.setenv("DATABASE_PASSWORDS", json.dumps({"postgres": "x"}))
    refused = CliRunner().invoke(app, ["roles"])
    assert refused.exit_code == 2 and "not ours: postgres" in refused.output

    async def verifier() -> str:
        conn = await connect(stack)
        try:
            return await conn.fetchval("SELECT rolpassword FROM pg_authid WHERE rolname = 'payout'")
        finally:
            await conn.close()

    assert asyncio.run(verifier()).startswith("SCRAM-SHA-256$4096:")
