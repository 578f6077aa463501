"""Least privilege in PostgreSQL: who owns each service's schema, and what each service may do.

- `<schema>_owner` (no login) owns the schema and everything in it. Migrations run as it
  (`shared/migrations.py` takes its role), so only it can alter the tables or their triggers.
- `subsidy_migrate` (login) is a member of every owner, and has no rights of its own (NOINHERIT):
  `subsidy migrate` connects as it and takes each owner's role in turn.
- `<schema>` (login) is the service's own role: USAGE on its schema, SELECT, INSERT, UPDATE and
  DELETE on its tables, USAGE on its sequences, and nothing on any other schema (`public` included).
  A table its migrations made append-only (a trigger named `<table>_append_only`, as payout's
  ledger of transfers) it may only read and insert into; and not being the owner, it can neither
  truncate a table nor disable a trigger.

`create` makes the roles and the schemas: an administrator's work (`subsidy up` does it on its own
database, `subsidy roles` in production, once and again when a service is added). `grant` gives a
service's role its rights: the owner runs it after every migration, so new tables are covered.
"""

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Mapping

from pydantic import Field, SecretStr
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from shared.settings import Settings

MIGRATOR = "subsidy_migrate"
_NAME = re.compile(r"[a-z_][a-z0-9_]*")


class RoleSettings(Settings):
    """`subsidy roles`: DATABASE_URL is an administrator's (one who may create roles)."""

    # {"intake": "…", "subsidy_migrate": "…"}: each login role's password (one secret each); a role
    # not named keeps the password it has (none for a new one: local trust or peer only).
    database_passwords: dict[str, SecretStr] = Field(default={}, description="JSON: login role → password")


def owner(schema: str) -> str:
    return f"{schema}_owner"


def _quoted(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ValueError(f"not a role or schema name of ours: {name!r}")
    return f'"{name}"'


def development_password(administrator_password: str | None, role: str) -> str | None:
    """A development stack's password for `role` (`subsidy up` on a database reached with a password,
    the tests'): made from its administrator's, so every run agrees; none where it has none (the
    embedded server trusts its local socket). Production gives each role a secret of its own."""
    if not administrator_password:
        return None
    return hmac.new(administrator_password.encode(), f"subsidy-role:{role}".encode(), hashlib.sha256).hexdigest()


def login_url(administrator_url: str, role: str) -> str:
    """The URL `role` connects with to the database `administrator_url` reaches, in a development stack."""
    url = make_url(administrator_url)
    password = development_password(url.password if isinstance(url.password, str) else None, role)
    return url.set(username=role, password=password).render_as_string(hide_password=False)


def development_passwords(administrator_url: str, schemas: Iterable[str]) -> dict[str, str]:
    url = make_url(administrator_url)
    given = url.password if isinstance(url.password, str) else None
    return {
        role: password for role in (MIGRATOR, *schemas) if (password := development_password(given, role)) is not None
    }


def scram_verifier(password: str) -> str:
    """What PostgreSQL keeps of a SCRAM-SHA-256 password: the password itself is never sent (nor
    logged with the statement that sets it)."""
    salt, iterations = os.urandom(16), 4096
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    stored = hashlib.sha256(hmac.new(salted, b"Client Key", hashlib.sha256).digest()).digest()
    server = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    salt64, stored64, server64 = (base64.b64encode(b).decode() for b in (salt, stored, server))
    return f"SCRAM-SHA-256${iterations}:{salt64}${stored64}:{server64}"


async def create(administrator_url: str, schemas: Iterable[str], passwords: Mapping[str, str] | None = None) -> None:
    """The roles and schemas of `schemas`, made or put right; safe to run again. An earlier release's
    schema (made by whoever migrated it) is handed to its owner, with everything in it."""
    engine = create_async_engine(administrator_url.replace("postgresql://", "postgresql+asyncpg://", 1))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_create, list(schemas), dict(passwords or {}))
    finally:
        await engine.dispose()


def _create(conn: Connection, schemas: list[str], passwords: dict[str, str]) -> None:
    # One writer at a time on this database (a second would fail on the role the first just made).
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('subsidy roles'))"))
    _role(conn, MIGRATOR, "LOGIN NOINHERIT")
    for schema in schemas:
        _role(conn, owner(schema), "NOLOGIN")
        _role(conn, schema, "LOGIN")
        if not conn.execute(
            text("SELECT pg_has_role(CAST(:m AS name), CAST(:o AS name), 'MEMBER')"),
            {"m": MIGRATOR, "o": owner(schema)},
        ).scalar():
            conn.execute(text(f"GRANT {_quoted(owner(schema))} TO {_quoted(MIGRATOR)}"))
        conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {_quoted(schema)} AUTHORIZATION {_quoted(owner(schema))}"))
        for statement in conn.execute(_TAKE_OVER, {"schema": schema, "owner": owner(schema)}).scalars().all():
            conn.exec_driver_sql(statement)
    # Nothing of ours lives in `public`: nobody may use it or create in it.
    conn.execute(text("REVOKE ALL ON SCHEMA public FROM PUBLIC"))
    for role, password in passwords.items():
        conn.exec_driver_sql(f"ALTER ROLE {_quoted(role)} PASSWORD '{scram_verifier(password)}'")


def _role(conn: Connection, name: str, attributes: str) -> None:
    if not conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = CAST(:r AS name)"), {"r": name}).first():
        conn.execute(text(f"CREATE ROLE {_quoted(name)}"))
    # A role of that name made by someone else gets no more than ours have.
    conn.execute(
        text(f"ALTER ROLE {_quoted(name)} {attributes} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS")
    )


# The statements that hand a schema and what is in it to its owner. A sequence of an identity or
# serial column follows its table; an index, a table's row type or an array type likewise.
_TAKE_OVER = text("""
WITH given AS (SELECT CAST(:schema AS name) AS schema, CAST(:owner AS name) AS owner)
SELECT format('ALTER SCHEMA %I OWNER TO %I', n.nspname, g.owner)
  FROM pg_namespace n, given g WHERE n.nspname = g.schema AND n.nspowner <> to_regrole(g.owner)
UNION ALL
SELECT format('ALTER %s %s OWNER TO %I',
              CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                             WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
              c.oid::regclass, g.owner)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, given g
 WHERE n.nspname = g.schema AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.relowner <> to_regrole(g.owner)
   AND NOT (c.relkind = 'S' AND EXISTS (
       SELECT 1 FROM pg_depend d
        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
UNION ALL
SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, g.owner)
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace, given g
 WHERE n.nspname = g.schema AND p.proowner <> to_regrole(g.owner)
UNION ALL
SELECT format('ALTER TYPE %s OWNER TO %I', t.oid::regtype, g.owner)
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace, given g
 WHERE n.nspname = g.schema AND t.typowner <> to_regrole(g.owner) AND t.typtype IN ('e', 'd', 'r')
""")


async def become_owner(conn: AsyncConnection, schema: str) -> bool:
    """Takes the schema owner's role for the rest of the transaction; False where the database has
    no such role (set up without `create`: whoever connects owns what the migration makes)."""
    name = owner(schema)
    if not (await conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = CAST(:r AS name)"), {"r": name})).first():
        return False
    if not (await conn.execute(text("SELECT pg_has_role(CAST(:r AS name), 'MEMBER')"), {"r": name})).scalar():
        user = (await conn.execute(text("SELECT current_user"))).scalar()
        raise PermissionError(
            f"{user} may not migrate {schema}: connect as {MIGRATOR} (a member of {name}) or an administrator"
        )
    if not (
        await conn.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = CAST(:s AS name)"), {"s": schema})
    ).first():
        # The owner may not create schemas in the database; whoever connected (an administrator) may.
        await conn.execute(text(f"CREATE SCHEMA {_quoted(schema)} AUTHORIZATION {_quoted(name)}"))
    await conn.execute(text(f"SET LOCAL ROLE {_quoted(name)}"))
    return True


async def grant(conn: AsyncConnection, schema: str) -> None:
    """The service's role gets exactly its rights on its schema (run as the schema's owner)."""
    s, login = _quoted(schema), _quoted(schema)
    if not (await conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = CAST(:r AS name)"), {"r": schema})).first():
        return
    for statement in (
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {login}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {login}",
        f"GRANT USAGE ON SCHEMA {s} TO {login}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {login}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {s} TO {login}",
        # …and on what a later migration (or a hand at the console) makes, until `grant` runs again.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {login}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT USAGE ON SEQUENCES TO {login}",
    ):
        await conn.execute(text(statement))
    for table in (await conn.execute(_APPEND_ONLY, {"schema": schema})).scalars():
        await conn.execute(text(f"REVOKE UPDATE, DELETE ON {s}.{_quoted(table)} FROM {login}"))


_APPEND_ONLY = text("""
SELECT DISTINCT c.relname FROM pg_trigger t
  JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = CAST(:schema AS name) AND NOT t.tgisinternal AND t.tgname = c.relname || '_append_only'
""")
