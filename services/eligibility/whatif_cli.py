"""`subsidy policy whatif`: what a draft policy version would have changed, replayed over the
decisions eligibility stored. Nothing is stored and nobody is notified."""

import datetime as dt
import json
import sys
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

import httpx
import typer

from services.eligibility.tables import metadata
from services.eligibility.versions import Lifecycle
from services.eligibility.whatif_read import stored
from services.eligibility.whatif_render import BudgetLine, Budgets, Context, against_budgets, csv_text, html_page
from shared import commands
from shared.policy import PolicyBook, PolicyDataError, PolicyVersion
from shared.policy.book import read_version
from shared.policy.whatif import Report, replay

PAYOUT_URL = "http://127.0.0.1:8003"  # payout under `make run`
FINANCE_KEY_ENV = "SUBSIDY_FINANCE_KEY"


class Format(StrEnum):
    json = "json"
    csv = "csv"
    html = "html"


def whatif(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The draft policy version (a TOML file)."),
    first: str = typer.Option(..., "--from", help="First application date (occurred_on) replayed, YYYY-MM-DD."),
    last: str = typer.Option(..., "--to", help="Last application date replayed, YYYY-MM-DD (inclusive)."),
    format: Format = typer.Option(Format.json, "--format", help="json, csv (a row per clause) or html (a page)."),
    out: Path | None = typer.Option(None, "--out", help="Write here instead of standard output."),
    budgets_key: str | None = typer.Option(
        None, "--budgets-key", envvar=FINANCE_KEY_ENV, help="A finance key for payout's budget lines (html)."
    ),
    payout_url: str = typer.Option(PAYOUT_URL, "--payout-url", help="Payout's API, for its budget lines (html)."),
) -> None:
    """What the draft FILE would have changed on the applications dated --from … --to.

    Every stored application of those dates is decided again as if the draft had been in force on
    its date (whatever the draft's own window), in the order the decisions were taken, and compared
    with its decision: per clause, per budget year, and for whom most. Reads eligibility's tables
    (DATABASE_URL, or `make run`'s database); stores nothing and tells nobody."""
    window = _day(first, "--from"), _day(last, "--to")
    if window[0] > window[1]:
        raise typer.BadParameter("--from is after --to")
    draft = _read_draft(file)
    made_at = dt.datetime.now(dt.UTC)
    report = commands.run(_replay(draft, *window))
    if format is Format.json:
        text = json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n"
    elif format is Format.csv:
        text = csv_text(report)
    else:
        budgets, note = _budgets(report, payout_url, budgets_key)
        text = html_page(report, Context(draft, *window, made_at, budgets, note))
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"written to {out}", err=True)


async def _replay(draft: PolicyVersion, first: dt.date, last: dt.date) -> Report:
    async with commands.wired(commands.settings("eligibility"), metadata) as wiring:
        async with wiring.sessions() as session:  # the versions approved at run time too
            await Lifecycle.of(wiring).published.refresh(session)
        book = _with_draft(wiring.policy.book, draft)
        entries = await commands.in_transaction(wiring, stored, book, first, last)
    return replay(entries, draft)


def _read_draft(file: Path) -> PolicyVersion:
    try:
        return read_version(file)
    except PolicyDataError as bad:
        typer.echo(f"the draft is not a policy version: {bad}", err=True)
        raise typer.Exit(2) from None


def _with_draft(book: PolicyBook, draft: PolicyVersion) -> PolicyBook:
    """The process's book with the draft's version added (in place of a version of the same id):
    the stored applications are read as that book reads them."""
    try:
        return PolicyBook([*(v for v in book.versions if v.id != draft.id), draft])
    except PolicyDataError as bad:
        typer.echo(f"the draft does not fit the policy in force: {bad}", err=True)
        raise typer.Exit(2) from None


def _budgets(report: Report, url: str, key: str | None) -> tuple[Budgets | None, str]:
    """Payout's budget lines against the draft, or why they were not consulted."""
    if not key:
        return None, f"no finance key given (--budgets-key or {FINANCE_KEY_ENV})"
    endpoint = f"{url.rstrip('/')}/v1/budgets"
    try:
        answer = httpx.get(endpoint, headers={"Authorization": f"Bearer {key}"}, timeout=10)
    except httpx.HTTPError as error:
        return _unread(f"payout could not be reached at {endpoint}: {error}")
    if answer.status_code != 200:
        return _unread(f"payout answered {answer.status_code} at {endpoint}: {answer.text[:200]}")
    lines = [
        BudgetLine(
            int(b["year"]),
            b["clause"],
            Decimal(b["amount"]),
            Decimal(b["reserved"]) + Decimal(b["paid"]) + Decimal(b["awaiting_amount"]),
        )
        for b in answer.json()
    ]
    return against_budgets(report, lines), f"{len(lines)} budget line(s) read from payout at {endpoint}"


def _unread(why: str) -> tuple[None, str]:
    typer.echo(f"budgets not consulted: {why}", err=True)
    return None, why


def _day(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{option} needs a date YYYY-MM-DD, got {text!r}") from None
