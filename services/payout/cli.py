"""`subsidy budgets` and `subsidy ledger`: budget lines, the ledger's verification and reports, on
payout's database."""

import os
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import typer

from shared import commands
from shared.commands import DATA_DIR

budgets_app = typer.Typer(
    no_args_is_help=True, help="Budget lines per year and clause (the payout service's database)."
)
ledger_app = typer.Typer(no_args_is_help=True, help="The payout ledger: verification and reports.")
DEMO_BUDGET = Decimal("50000000.00")


def _ledger_key() -> str:
    key = os.environ.get("LEDGER_KEY") or (
        (DATA_DIR / "ledger.key").read_text().strip() if (DATA_DIR / "ledger.key").exists() else ""
    )
    if not key:
        typer.echo(
            "LEDGER_KEY is not set (and no .data/ledger.key): the ledger cannot be verified or written", err=True
        )
        raise typer.Exit(2)
    return key


async def _in_payout(operation, database_url: str | None = None):
    """Runs `operation(session, ctx)` in one transaction of payout's schema, wired as the payout
    service is."""
    from services.payout.context import Context
    from services.payout.settings import PayoutSettings
    from services.payout.tables import metadata

    settings = commands.settings("payout", PayoutSettings, database_url, ledger_key=_ledger_key())
    async with commands.wired(settings, metadata) as wiring:
        return await commands.in_transaction(wiring, operation, Context.of(wiring))


def _payout_op(operation):
    """Runs `operation(session, ctx)` in one transaction of payout's schema; refusals exit 2."""
    return commands.run(_in_payout(operation))


def _show_line(line: dict) -> None:
    typer.echo(
        f"{line['year']} {line['clause']:<24} budget {line['amount']:>16,.2f}  reserved {line['reserved']:>16,.2f}"
        f"  paid {line['paid']:>16,.2f}  available {line['available']:>16,.2f}"
        f"  awaiting {line['awaiting_budget']} ({line['awaiting_amount']:,.2f})"
    )


@budgets_app.command("set")
def budgets_set(
    year: int,
    clause: str,
    amount: Decimal,
    by: str = typer.Option(os.environ.get("USER", "operator"), help="who sets it"),
) -> None:
    """Set the budget line of CLAUSE for YEAR to AMOUNT yuan; awards waiting for it go ahead, in order."""
    from services.payout import budgets

    async def op(session, ctx):
        return await budgets.set_budget(session, ctx, year, clause, amount, by=by)

    line = _payout_op(op)
    _show_line(line)
    if line["released"]:
        typer.echo(f"{line['released']} awaiting award(s) went ahead")


@budgets_app.command("list")
def budgets_list(year: int = typer.Option(None, help="only this year")) -> None:
    """Every budget line: amount, reserved, paid, available, and what waits for it."""
    from services.payout import budgets

    async def op(session, ctx):
        return await budgets.lines(session, year=year)

    for line in _payout_op(op):
        _show_line(line)


@ledger_app.command("verify")
def ledger_verify() -> None:
    """Check the ledger from genesis: the keyed hash chain, every transfer within the rules (so no budget
    ever overspent), each award reserved once, and stored balances equal to the transfers.
    Exit 0 when it holds; exit 1 naming the first broken row (DATABASE_URL, LEDGER_KEY)."""
    from services.payout.audit import verify_ledger

    async def op(session, ctx):
        return await verify_ledger(session, ctx.key)

    result = _payout_op(op)
    if result.problem:
        typer.echo(f"BROKEN at {result.problem}", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"ledger verified: {result.rows} transfer(s), {result.accounts} account(s), chain intact, "
        "every transfer within the rules, balances equal to their transfers"
    )


@ledger_app.command("report")
def ledger_report(
    year: int = typer.Option(None, help="only this year"),
    format: str = typer.Option("csv", help="csv | xlsx"),
    output: Path = typer.Option(None, "--output", "-o", help="file to write (default: stdout for csv)"),
) -> None:
    """Per year and clause: budget, awarded, cancelled, awaiting budget, reserved, paid, outstanding,
    recovered and available, as CSV or XLSX."""
    from services.payout import reports

    if format not in ("csv", "xlsx"):
        raise typer.BadParameter("format: csv or xlsx")
    if format == "xlsx" and output is None:
        raise typer.BadParameter("an XLSX report needs --output FILE")

    async def op(session, ctx):
        return await reports.rows(session, year=year)

    rows = _payout_op(op)
    body = reports.csv_bytes(rows) if format == "csv" else reports.xlsx_bytes(rows)
    if output is None:
        sys.stdout.write(body.decode("utf-8-sig"))
    else:
        output.write_bytes(body)
        typer.echo(f"wrote {len(rows)} line(s) to {output}")


async def demo_budgets(database_url: str) -> tuple[int, int]:
    """A local stack pays: every clause of this year without a budget line gets the demo amount."""
    from services.payout import budgets
    from services.payout.domain.money import budget_year

    year = budget_year(datetime.now(UTC))

    async def op(session, ctx):
        have = {line["clause"] for line in await budgets.lines(session, year=year)}
        missing = sorted(budgets.money_clauses(ctx.policy.book) - have)
        for clause in missing:
            await budgets.set_budget(session, ctx, year, clause, DEMO_BUDGET, by="subsidy up (demo)")
        return len(missing)

    return year, await _in_payout(op, database_url)
