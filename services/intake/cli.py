"""`subsidy partners`: partner portals and their API keys, on intake's database. The service's
modules are imported by the commands that use them: `subsidy --help` stays quick."""

import asyncio
from decimal import Decimal

import typer
from sqlalchemy.exc import IntegrityError

from services.cli_common import sessions

app = typer.Typer(no_args_is_help=True, help="Partner portals and their API keys.")


@app.command("create")
def partners_create(
    name: str,
    role: str = typer.Option("partner", help="partner | reviewer | finance | admin"),
    rate: Decimal = typer.Option(Decimal(50), help="requests a second allowed per intake replica"),
) -> None:
    """Register a partner and print its API key (shown this once only)."""
    from services.intake import partners
    from services.intake.tables import SCHEMA

    async def go():
        async with sessions(SCHEMA) as maker:
            return await partners.create(maker, name, role, rate)

    try:
        typer.echo(asyncio.run(go()))
    except IntegrityError:
        raise typer.BadParameter(f"a partner named {name!r} already exists") from None
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None


@app.command("rotate")
def partners_rotate(name: str) -> None:
    """Issue a new key for the partner and revoke its earlier ones; prints the new key."""
    from services.intake import partners
    from services.intake.tables import SCHEMA

    async def go():
        async with sessions(SCHEMA) as maker:
            return await partners.rotate(maker, name)

    try:
        typer.echo(asyncio.run(go()))
    except partners.UnknownPartner:
        raise typer.BadParameter(f"no partner named {name!r}") from None


@app.command("revoke")
def partners_revoke(name: str) -> None:
    """Revoke every key of the partner."""
    from services.intake import partners
    from services.intake.tables import SCHEMA

    async def go():
        async with sessions(SCHEMA) as maker:
            return await partners.revoke(maker, name)

    typer.echo(f"revoked {asyncio.run(go())} key(s)")


@app.command("publish-keys")
def partners_publish_keys() -> None:
    """Announce every active key again, for services whose key replica started after the keys were issued."""
    from services.intake import partners
    from services.intake.tables import SCHEMA

    async def go():
        async with sessions(SCHEMA) as maker:
            return await partners.publish_keys(maker)

    typer.echo(f"announced {asyncio.run(go())} key(s)")


async def demo_key(database_url: str) -> str:
    """The demo partner's key: a new one each run (the earlier ones revoked)."""
    from services.intake import partners
    from services.intake.tables import SCHEMA

    async with sessions(SCHEMA, database_url) as maker:
        try:
            return await partners.rotate(maker, "demo")
        except partners.UnknownPartner:
            return await partners.create(maker, "demo")
