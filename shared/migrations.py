"""Each service's Alembic migrations, run against its own schema.

Migrations run from `subsidy migrate` / `subsidy up`, never at service start-up, so that
replicas starting together do not race; an advisory lock guards against it anyway. They run as the
schema's owner, which then gives the service's own role its rights (`shared/roles.py`).
"""

import zlib

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, MetaData, text
from sqlalchemy.ext.asyncio import create_async_engine

from shared import roles


def _config(service: str, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", f"services.{service}:migrations")
    config.attributes["connection"] = connection
    return config


async def upgrade(service: str, schema: str, url: str) -> None:
    engine = create_async_engine(url, hide_parameters=True)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(schema.encode())})
            owned = await roles.become_owner(conn, schema)  # which makes the schema if it is missing
            if not owned:
                await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            await conn.run_sync(lambda c: command.upgrade(_config(service, c), "head"))
            if owned:
                await roles.grant(conn, schema)
    finally:
        await engine.dispose()


async def new_revision(service: str, schema: str, url: str, message: str) -> None:
    """Autogenerates a migration from the difference between the tables and the database."""
    engine = create_async_engine(url, hide_parameters=True)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            await conn.run_sync(lambda c: command.revision(_config(service, c), message=message, autogenerate=True))
    finally:
        await engine.dispose()


def run_env(metadata: MetaData) -> None:
    """Body of every service's `migrations/env.py`."""
    context.configure(
        connection=context.config.attributes["connection"],
        target_metadata=metadata,
        version_table_schema=metadata.schema,
        include_schemas=True,
        include_name=lambda name, type_, parent: type_ != "schema" or name == metadata.schema,
    )
    with context.begin_transaction():
        context.run_migrations()
