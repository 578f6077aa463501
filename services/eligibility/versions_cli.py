"""`subsidy policy draft | approve | withdraw | list`: the policy's versions, on eligibility's
database, through the same rules, records and outbox as eligibility's API. An approved version is
published by the running eligibility service (its outbox) and reaches every service's book."""

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import typer

from shared import commands

app = typer.Typer(
    no_args_is_help=True,
    help="Policy versions: drafted, approved by a second official, withdrawn (eligibility's database).",
)


def install(group: typer.Typer) -> None:
    """Adds these commands to `group` (the `subsidy policy` group, beside a file's checks)."""
    group.registered_commands.extend(app.registered_commands)


BY = typer.Option(..., "--by", help="who acts: the official's name")
REASON = typer.Option("", "--reason", help="why (kept with the step)")


async def _in_eligibility(operation: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    """`operation(session, lifecycle, *args)` in one transaction of eligibility's schema, wired as the
    eligibility service is."""
    from services.eligibility.tables import metadata
    from services.eligibility.versions import Lifecycle

    async with commands.wired(commands.settings("eligibility"), metadata) as wiring:
        return await commands.in_transaction(wiring, operation, Lifecycle.of(wiring), *args)


def _act(operation: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    """Runs it; a refusal by the rules prints why and exits 2."""
    return commands.run(_in_eligibility(operation, *args))


def _show(version: dict[str, Any]) -> None:
    who = [f"drafted by {version['drafted_by']}"]
    if version["approved_by"]:
        who.append(f"approved by {version['approved_by']}")
    if version["withdrawn_by"]:
        who.append(f"withdrawn by {version['withdrawn_by']}")
    typer.echo(
        f"{version['version_id']:<32} {version['state']:<9} {version['first_day']} – {version['last_day']}  "
        f"{version['content_hash'][:12]}  {', '.join(who)}"
    )


@app.command()
def draft(file: Path = typer.Argument(..., help="the version's TOML file"), by: str = BY, reason: str = REASON) -> None:
    """Draft a version from FILE (its `id` names it; drafting the id again replaces its draft) and
    print its id. A file that is not a version that fits the book: exit 2 with each problem, nothing stored."""
    from services.eligibility import versions

    try:
        source = file.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        typer.echo(f"cannot read {file} as UTF-8 text: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(_act(versions.draft, source, by, reason)["version_id"])


@app.command()
def approve(version: str = typer.Argument(..., help="the draft's id"), by: str = BY, reason: str = REASON) -> None:
    """Approve a draft: every running service adds it to its policy book. Its drafter may not (exit 2)."""
    from services.eligibility import versions

    _show(_act(versions.approve, version, by, reason))


@app.command()
def withdraw(version: str = typer.Argument(..., help="the version's id"), by: str = BY, reason: str = REASON) -> None:
    """Withdraw a draft, or an approved version before its first day with nothing decided under it
    (exit 2 otherwise): every running service takes it out of its book."""
    from services.eligibility import versions

    _show(_act(versions.withdraw, version, by, reason))


@app.command("list")
def list_versions() -> None:
    """Every version drafted here, in order of first day, with who drafted, approved or withdrew it."""
    from services.eligibility import versions

    async def listing(session: Any, _: Any) -> list[dict[str, Any]]:
        return await versions.listing(session)

    for version in _act(listing):
        _show(version)
