"""`subsidy partners`: partner portals and their API keys, on intake's database. The service's
modules are imported by the commands that use them: `subsidy --help` stays quick."""

import asyncio
from decimal import Decimal

import typer
from sqlalchemy.exc import IntegrityError

from shared import commands


def _intake(database_url: str | None = None):
    """The commands act as intake, on its schema."""
    from services.intake.tables import metadata

    return commands.wired(commands.settings("intake", database=database_url), metadata)


app = typer.Typer(no_args_is_help=True, help="Partner portals and their API keys.")


@app.command("create")
def partners_create(
    name: str,
    role: str = typer.Option("partner", help="partner | reviewer | finance | admin | policy_admin"),
    rate: Decimal = typer.Option(Decimal(50), help="requests a second allowed per intake replica"),
) -> None:
    """Register a partner and print its API key (shown this once only)."""
    from services.intake import partners

    async def go():
        async with _intake() as wiring:
            return await partners.create(wiring, name, role, rate)

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

    async def go():
        async with _intake() as wiring:
            return await partners.rotate(wiring, name)

    try:
        typer.echo(asyncio.run(go()))
    except partners.UnknownPartner:
        raise typer.BadParameter(f"no partner named {name!r}") from None


@app.command("revoke")
def partners_revoke(name: str) -> None:
    """Revoke every key of the partner."""
    from services.intake import partners

    async def go():
        async with _intake() as wiring:
            return await partners.revoke(wiring, name)

    typer.echo(f"revoked {asyncio.run(go())} key(s)")


@app.command("publish-keys")
def partners_publish_keys() -> None:
    """Announce every active key again, for services whose key replica started after the keys were issued."""
    from services.intake import partners

    async def go():
        async with _intake() as wiring:
            return await partners.publish_keys(wiring)

    typer.echo(f"announced {asyncio.run(go())} key(s)")


async def demo_key(database_url: str) -> str:
    """The demo partner's key: a new one each run (the earlier ones revoked)."""
    from services.intake import partners

    async with _intake(database_url) as wiring:
        try:
            return await partners.rotate(wiring, "demo")
        except partners.UnknownPartner:
            return await partners.create(wiring, "demo")


class PartnerKeys:
    """Intake's partners as the issuer of other holders' keys (`shared.auth.KeyIssuer`): the console's
    officials and the demo's people get theirs here, wired by the `subsidy` command."""

    def __init__(self, database_url: str | None = None):
        self.database_url = database_url

    async def issue(self, name: str, role: str, requests_per_second: Decimal | None = None) -> str:
        from services.intake import partners
        from shared.auth import PartnerExists

        async with _intake(self.database_url) as wiring:
            try:
                return await partners.create(wiring, name, role, requests_per_second or partners.DEFAULT_RATE)
            except IntegrityError:
                raise PartnerExists(name) from None

    async def rotate(self, name: str) -> str:
        from services.intake import partners

        async with _intake(self.database_url) as wiring:
            return await partners.rotate(wiring, name)

    async def revoke(self, name: str) -> None:
        from services.intake import partners

        async with _intake(self.database_url) as wiring:
            await partners.revoke(wiring, name)
