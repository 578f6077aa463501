"""`subsidy console users …`: officials' accounts for the console. Like `subsidy partners`, these
work on the console's database directly; an account's API key comes from intake through the
`KeyIssuer` the `subsidy` command wires in (`commands(keys)`): they are operators' tools."""

import asyncio
import os
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import typer

from services.console import accounts
from shared import commands as wiring
from shared.auth import KeyIssuer


def secret_box(data_dir: Path = Path(".data")):
    """SECRETS_KEY, or on a local stack (no DATABASE_URL) the key `subsidy up` keeps in its data."""
    from shared.secretbox import SecretBox, development_key

    keys = os.environ.get("SECRETS_KEY")
    if not keys:
        if "DATABASE_URL" in os.environ:
            raise typer.BadParameter("set SECRETS_KEY: the console's services share it to open accounts' keys")
        keys = development_key(data_dir / "secrets.key")
    return SecretBox(keys)


@asynccontextmanager
async def database(database_url: str | None = None):
    """Sessions on the console's schema, wired as the console is."""
    from services.console.settings import ConsoleSettings
    from services.console.tables import metadata

    async with wiring.wired(wiring.settings("console", ConsoleSettings, database_url), metadata) as w:
        yield w.sessions


def _password(from_stdin: bool) -> tuple[str, bool]:
    """The password given on standard input, or a new one (then printed once)."""
    if not from_stdin:
        return accounts.new_password(), True
    given = sys.stdin.readline().rstrip("\r\n")
    try:
        return accounts.check_password(given), False
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None


def commands(keys: KeyIssuer) -> typer.Typer:
    """`subsidy console`, its accounts' keys issued and revoked by `keys`."""
    app = typer.Typer(no_args_is_help=True, help="The operator console.")
    users = typer.Typer(
        no_args_is_help=True,
        help="Officials' accounts: each signs in with a password and acts with an API key of its own.",
    )
    app.add_typer(users, name="users")

    @users.command("create")
    def create(
        name: str,
        role: str = typer.Option(..., help="reviewer | finance | admin | policy_admin"),
        password_stdin: bool = typer.Option(
            False,
            "--password-stdin",
            help="read the password from standard input (one line); otherwise one is made and printed once",
        ),
    ) -> None:
        """Create an account and issue its API key (a partner of intake named like the account)."""
        password, made = _password(password_stdin)

        async def go():
            async with database() as console:
                return await accounts.create(console, keys, secret_box(), name, role, password)

        try:
            created = asyncio.run(go())
        except accounts.AccountExists as e:
            raise typer.BadParameter(f"an account named {e} exists already") from None
        except ValueError as e:
            raise typer.BadParameter(str(e)) from None
        shown = f"\npassword: {password}  (shown this once)" if made else ""
        typer.echo(f"created {created.name} ({created.role})" + shown)

    @users.command("password")
    def password(name: str, password_stdin: bool = typer.Option(False, "--password-stdin")) -> None:
        """Set a new password (made and printed once unless given on standard input); the account's sessions end."""
        new, made = _password(password_stdin)

        async def go():
            async with database() as console:
                await accounts.set_password(console, name, new)

        try:
            asyncio.run(go())
        except accounts.UnknownAccount:
            raise typer.BadParameter(f"no active account named {name!r}") from None
        shown = f"\npassword: {new}  (shown this once)" if made else ""
        typer.echo(f"password of {accounts.normalise_name(name)} changed" + shown)

    @users.command("revoke")
    def revoke(name: str) -> None:
        """The account can no longer sign in; its sessions end and its API key is revoked."""

        async def go():
            async with database() as console:
                await accounts.revoke(console, keys, name)

        try:
            asyncio.run(go())
        except accounts.UnknownAccount:
            raise typer.BadParameter(f"no account named {name!r}") from None
        typer.echo(f"revoked {accounts.normalise_name(name)}")

    @users.command("list")
    def listing() -> None:
        """Every account, its role, and whether it was revoked."""

        async def go():
            async with database() as console:
                return await accounts.listing(console)

        for row in asyncio.run(go()):
            state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "active"
            typer.echo(f"{row.name:<24}{row.role:<14}{state}")

    return app


DEMO = (("demo-admin", "admin"), ("demo-reviewer", "reviewer"))


async def demo_accounts(database_url: str, keys: KeyIssuer, box) -> list[tuple[str, str, str]]:
    """A local stack's demo accounts, each with a new password (returned, to be shown once)."""
    made = []
    async with database(database_url) as console:
        for name, role in DEMO:
            password = accounts.new_password()
            try:
                await accounts.create(console, keys, box, name, role, password)
            except accounts.AccountExists:
                try:
                    await accounts.set_password(console, name, password)
                except accounts.UnknownAccount:  # revoked on purpose: left so
                    continue
            made.append((name, role, password))
    return made
