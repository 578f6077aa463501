"""`subsidy demo`: plays a policy year against the running local stack and reports on it. Its
people's keys come from the `KeyIssuer` the `subsidy` command wires in (`command(keys)`): intake's."""

import asyncio
from collections.abc import Callable
from pathlib import Path

import typer

from services.demo import DEFAULT_APPLICATIONS, MIN_APPLICATIONS
from shared.auth import KeyIssuer
from shared.bootstrap import bootstrap
from shared.settings import Settings


def command(keys: Callable[[str], KeyIssuer]) -> Callable[..., None]:
    """`subsidy demo`, its people's keys issued by `keys(database_url)` on the stack's database."""

    def demo(
        applicants: int = typer.Option(
            DEFAULT_APPLICATIONS,
            "--applicants",
            "-n",
            help=f"applications in the year (at least {MIN_APPLICATIONS}); a few applicants apply under two clauses",
        ),
        seed: int = typer.Option(2024, help="the same seed plays the same year"),
        year: int = typer.Option(2024, help="the policy year played (the policy is in force 2023-02-10 – 2025-02-09)"),
        report: Path = typer.Option(None, help="where the HTML report goes (default: DATA_DIR/demo-report.html)"),
        host: str = typer.Option("127.0.0.1", help="where the stack answers (this machine only)"),
        port_base: int = typer.Option(8000, help="intake's port, as given to `subsidy up --port-base`"),
        data_dir: Path = typer.Option(
            Path(".data"),
            help="the stack's data directory (`subsidy up --data-dir`): its database (where intake issues the "
            "demo's keys) and quota's clock file",
        ),
        timeout: float = typer.Option(900, help="seconds the whole year may take before the demo gives up"),
    ) -> None:
        """Play a policy year against the running stack (`make run`): applicants across all 16 clauses, the
        selection rounds with their panel, notice and an objection, the finance stand-in paying and refusing,
        corrections, a clawback; then write an HTML report whose totals are checked against the verified
        ledger (exit 1 if they disagree, 2 if there is no local stack to play on)."""
        from rich.console import Console

        from services.demo import play
        from services.demo import report as reporting
        from services.demo import scenario as making

        console = Console(highlight=False)
        if not console.is_terminal:  # a log or a pipe: wide enough for the summary table
            console = Console(highlight=False, width=140)
        try:
            # The policy book as the stack's services load it (`POLICY_EXTRA_FILES` included).
            book = bootstrap(Settings(service_name="demo")).policy.book
            year_played = making.generate(book, applicants, seed, year)
        except ValueError as e:
            raise typer.BadParameter(str(e)) from None
        try:
            stack = play.Stack.find(host, port_base, data_dir)
            issuer = keys(play.stack_database(data_dir))
            playing = play.Play(
                stack, issuer, year_played, play.Show(console), timeout_s=timeout, policy_ends=book.latest.last_day
            )
            played = asyncio.run(playing.run())
        except play.NotPlayable as e:
            console.print(f"[bold red]refused:[/] {e}")
            raise typer.Exit(2) from None
        except play.Failed as e:
            console.print(f"[bold red]failed:[/] {e}")
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            console.print("stopped; quota's clock is the system's again")
            raise typer.Exit(130) from None
        figures = reporting.tally(year_played, played)
        path = reporting.write(figures, report or data_dir / "demo-report.html")
        _summary(console, figures)
        console.print(f"\nreport      {path.resolve()}")
        if not figures.ok:
            raise typer.Exit(1)

    return demo


def _summary(console, f) -> None:
    from rich.table import Table

    table = Table(title=f"Policy year {f.scenario.year}: {f.total.applications} applications", title_justify="left")
    for column in (
        "clause",
        "applied",
        "eligible",
        "cand.",
        "inelig.",
        "selected",
        "awarded",
        "paid",
        "refused",
        "recovered",
    ):
        table.add_column(column, justify="left" if column == "clause" else "right")
    for c in [*f.clauses, f.total]:
        table.add_row(
            c.clause,
            str(c.applications),
            str(c.eligible),
            str(c.candidates) if c.selection or c is f.total else "",
            str(c.ineligible),
            str(c.selected) if c.selection or c is f.total else "",
            f"{c.awarded:,.2f}",
            f"{c.paid:,.2f}",
            str(c.rejected),
            f"{c.recovered:,.2f}",
            end_section=c is f.clauses[-1],
        )
    console.print(table)
    played = f.played
    console.print(f"took {(played.finished_at - played.started_at).total_seconds():.0f} s")
    if f.agrees:
        console.print(
            f"[green]✓[/] ledger verified ({f.verified_rows} transfers, {f.verified_accounts} accounts, "
            f"chain intact); awarded {f.total.awarded:,.2f}, paid {f.total.paid:,.2f}, recovered "
            f"{f.total.recovered:,.2f}: the finance report moved by exactly these, clause by clause"
        )
    else:
        console.print(f"[bold red]✗ the totals do not agree with the ledger[/]: {f.problem or ''}")
        for c in f.checks:
            if not c.ok:
                console.print(f"  {c.clause} {c.column}: this year {c.demo:,.2f}, the ledger moved {c.ledger:,.2f}")
    for entry, status in f.not_final:
        console.print(f"[red]not final:[/] #{entry.n} {entry.clause} {status}")
