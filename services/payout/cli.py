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


def local_key_file(name: str, data_dir: Path = DATA_DIR) -> str:
    path = data_dir / name
    return path.read_text().strip() if path.exists() else ""


def ledger_keys(data_dir: Path = DATA_DIR) -> dict[str, str]:
    """LEDGER_KEYS and LEDGER_KEY from the environment; on a local stack (no DATABASE_URL) what
    `subsidy up` keeps in its data (`ledger.keys` after a rotation, `ledger.key`)."""
    local = "DATABASE_URL" not in os.environ
    keys = {
        "ledger_keys": os.environ.get("LEDGER_KEYS") or (local_key_file("ledger.keys", data_dir) if local else ""),
        "ledger_key": os.environ.get("LEDGER_KEY") or (local_key_file("ledger.key", data_dir) if local else ""),
    }
    if not any(keys.values()):
        typer.echo(
            "LEDGER_KEY (or LEDGER_KEYS) is not set (and no .data/ledger.key): the ledger cannot be verified "
            "or written",
            err=True,
        )
        raise typer.Exit(2)
    return {name: value for name, value in keys.items() if value}


async def _in_payout(operation, database_url: str | None = None):
    """Runs `operation(session, ctx)` in one transaction of payout's schema, wired as the payout
    service is."""
    from services.payout.context import Context
    from services.payout.settings import PayoutSettings
    from services.payout.tables import metadata

    settings = commands.settings("payout", PayoutSettings, database_url, **ledger_keys())
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


def _published_head(source: str | None, port_base: int):
    """The head to hold the book to, and where it came from: `source` (a file or URL), else on a
    local stack the finance stand-in's newest; (None, why) when there is none to be had."""
    from services.payout import anchor
    from shared.stack import SERVICES

    given = source is not None
    if source is None:
        if "DATABASE_URL" in os.environ:
            return None, "no published head given (--head FILE|URL, or LEDGER_HEAD)"
        source = f"http://127.0.0.1:{port_base + SERVICES.index('finance_sim')}/v1/ledger/head"
    try:
        head = anchor.read(source)
    except Exception as error:  # an unreadable head is the operator's to fix, named with its source
        if given:
            typer.echo(f"cannot read the published head from {source}: {error}", err=True)
            raise typer.Exit(2) from None
        return None, f"the finance stand-in ({source}) did not answer: {type(error).__name__}"
    return head, source if head else f"{source} has received no head yet"


@ledger_app.command("verify")
def ledger_verify(
    head: str = typer.Option(
        None,
        "--head",
        envvar="LEDGER_HEAD",
        help="a published head to hold the book to: a JSON file (a report's or a batch's head) or a URL "
        "answering one (the finance system's GET /v1/ledger/head); on a local stack the finance stand-in's",
    ),
    port_base: int = typer.Option(8000, help="intake's port on a local stack, as `subsidy up`"),
) -> None:
    """Check the ledger against the newest head published outside it (the book must still hold that
    row, with that hash, and the head's MAC must verify), then from genesis: the keyed hash chain,
    every transfer within the rules (so no budget ever overspent), each award reserved once, and stored
    balances equal to the transfers. Exit 0 when it holds; exit 1 naming the missing head or the first
    broken row (DATABASE_URL, LEDGER_KEY or LEDGER_KEYS)."""
    from services.payout.audit import verify_ledger

    published, source = _published_head(head, port_base)

    async def op(session, ctx):
        return await verify_ledger(session, ctx.key, published)

    result = _payout_op(op)
    if result.problem:
        typer.echo(f"BROKEN at {result.problem}", err=True)
        raise typer.Exit(1)
    against = (
        f"holding {published} ({source})"
        if published
        else f"no published head checked ({source}): rows cut from the end would not show"
    )
    typer.echo(
        f"ledger verified: {result.rows} transfer(s), {result.accounts} account(s), chain intact, "
        f"every transfer within the rules, balances equal to their transfers; {against}"
    )


@ledger_app.command("head")
def ledger_head() -> None:
    """Print the ledger's head now, signed (JSON): keep it, and `subsidy ledger verify --head FILE` will
    show whether the book still holds it."""
    import json

    from services.payout import anchor

    async def op(session, ctx):
        return await anchor.current(session, ctx)

    typer.echo(json.dumps(anchor.as_json(_payout_op(op)), indent=2))


@ledger_app.command("report")
def ledger_report(
    year: int = typer.Option(None, help="only this year"),
    format: str = typer.Option("csv", help="csv | xlsx"),
    output: Path = typer.Option(None, "--output", "-o", help="file to write (default: stdout for csv)"),
) -> None:
    """Per year and clause: budget, awarded, cancelled, awaiting budget, reserved, paid, outstanding,
    recovered and available, as CSV or XLSX; with the ledger's head as of the report (printed to
    stderr, and on its own sheet in XLSX)."""
    from services.payout import reports

    if format not in ("csv", "xlsx"):
        raise typer.BadParameter("format: csv or xlsx")
    if format == "xlsx" and output is None:
        raise typer.BadParameter("an XLSX report needs --output FILE")

    from services.payout import anchor

    async def op(session, ctx):
        return await reports.rows(session, year=year), await anchor.current(session, ctx)

    rows, head = _payout_op(op)
    body = reports.csv_bytes(rows) if format == "csv" else reports.xlsx_bytes(rows, head)
    if output is None:
        sys.stdout.write(body.decode("utf-8-sig"))
    else:
        output.write_bytes(body)
        typer.echo(f"wrote {len(rows)} line(s) to {output}")
    # The head travels with the report (its own sheet in XLSX): whoever keeps it can check the book later.
    typer.echo(f"ledger head: {reports.head_line(head)}", err=True)


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
