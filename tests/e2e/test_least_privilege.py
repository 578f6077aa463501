"""`subsidy up` as an operator runs it: no service is connected to PostgreSQL as a superuser."""

import asyncio

import asyncpg
import pytest

from shared.stack import SERVICES
from tests.e2e.running_stack import Up

pytestmark = pytest.mark.e2e


async def test_subsidy_ups_services_connect_each_as_its_own_role_and_none_as_a_superuser(stack, tmp_path):
    up = await asyncio.to_thread(Up(stack.env(), tmp_path).start)
    try:
        conn = await asyncpg.connect(stack.database_url.replace("postgresql+asyncpg://", "postgresql://", 1))
        try:
            sessions = await conn.fetch(
                """SELECT a.application_name, a.usename, r.rolsuper FROM pg_stat_activity a
                   JOIN pg_roles r ON r.oid = a.usesysid
                   WHERE a.datname = current_database() AND a.application_name = ANY($1)""",
                list(SERVICES),
            )
        finally:
            await conn.close()
    finally:
        await asyncio.to_thread(up.stop)
    assert {s["application_name"] for s in sessions} == set(SERVICES)
    assert {(s["application_name"], s["usename"], s["rolsuper"]) for s in sessions} == {
        (service, service, False) for service in SERVICES
    }
