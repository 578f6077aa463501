"""`subsidy policy matches --version V [--dry-run]`: earlier applicants told of the clauses of V
they could claim and have not (免申即享), as eligibility does when V is published; on demand, for a
version published before, a bundled one, or after applications kept since."""

import json
from typing import Any

import typer

from shared import commands


def matches(
    version: str = typer.Option(..., "--version", help="A version of the book: bundled, or approved."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Find and print them; record and tell nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print the search as one JSON document."),
) -> None:
    """Find the applicants whose kept facts satisfy a clause of VERSION they never applied nor were
    granted under, record each match once, and tell the new ones (through the partner of their latest
    application, and the contact it gave) via eligibility's outbox, which the running service
    publishes. Prints each match and how many were newly told. Nothing is awarded: they are told how
    to apply. Exit 2 if VERSION is not in the book."""
    scan = commands.run(_find(version, dry_run))
    if as_json:
        typer.echo(json.dumps(scan.to_json(), ensure_ascii=False, indent=2))
        return
    for f in scan.found:
        state = ("would be told" if scan.dry_run else "told") if f.newly_told else "told before"
        typer.echo(
            f"{f.credit_code}  {f.clause:<28} {f.amount:>14,.2f}  via {f.partner_id:<20} {state}  {f.applicant_name}"
        )
    newly = "would be newly told" if scan.dry_run else "newly told"
    typer.echo(
        f"{len(scan.found)} match(es) under {scan.version_id} as of {scan.as_of}: {scan.told} {newly}, "
        f"{len(scan.found) - scan.told} told before; {scan.unreachable} applicant(s) with a match but no "
        "partner kept to tell it through"
    )


async def _find(version: str, dry_run: bool) -> Any:
    from services.eligibility import matches
    from services.eligibility.tables import metadata
    from services.eligibility.versions import Lifecycle

    async def search(session: Any, lifecycle: Lifecycle) -> matches.Scan:
        return await matches.find(session, lifecycle, version, trigger="command", dry_run=dry_run)

    async with commands.wired(commands.settings("eligibility"), metadata) as wiring:
        return await commands.in_transaction(wiring, search, Lifecycle.of(wiring))
