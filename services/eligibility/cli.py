"""`subsidy evaluate`: decide applications as eligibility would, storing nothing; `subsidy policy …`:
the policy versions eligibility decides under."""

import asyncio
import sys
from pathlib import Path

import typer

from services.eligibility import matches_cli, whatif_cli
from services.eligibility.tables import metadata
from services.eligibility.versions import Lifecycle
from shared import commands
from shared.bootstrap import bootstrap
from shared.policy.book import PolicyBook, parse_version
from shared.policy.diff import Language, diff, render
from shared.policy.validation import Problem, validate
from shared.settings import Settings

policy_app = typer.Typer(
    no_args_is_help=True,
    help="Policy versions: check a file before it joins the book, compare it with a version of the book.",
)


def evaluate(file: str = typer.Argument("-", help="An application JSON (or array); - for stdin.")) -> None:
    """Decide applications without storing anything: one JSON decision per line.
    Exit 2 with a message naming the field for bad input."""
    from shared.policy.cli import evaluate_main

    book = _book()
    stream = sys.stdin if file == "-" else open(file, encoding="utf-8")
    raise typer.Exit(evaluate_main(book, stream, sys.stdout, sys.stderr))


def _book() -> PolicyBook:
    """The book eligibility decides under: the bundled versions, POLICY_EXTRA_FILES and, where its
    database is at hand (DATABASE_URL, or `make run`'s while it runs), the versions approved at run
    time. Without one the command still works, and says what it read."""
    url = commands.running_database_url("eligibility")
    if url is None:
        typer.echo("(no database: the bundled versions and POLICY_EXTRA_FILES only)", err=True)
        return bootstrap(Settings(service_name="eligibility")).policy.book
    return asyncio.run(_approved(url))


async def _approved(url: str) -> PolicyBook:
    async with commands.wired(commands.settings("eligibility", database=url), metadata) as wiring:
        async with wiring.sessions() as session:
            await Lifecycle.of(wiring).published.refresh(session)
        return wiring.policy.book


LANGUAGES: dict[str, tuple[Language, ...]] = {"both": ("zh", "en"), "zh": ("zh",), "en": ("en",)}
POLICY_FILE = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="A policy version's TOML file.")


def _refuse(file: Path, problems: list[Problem]) -> None:
    typer.echo(f"invalid: {file}: {len(problems)} problem(s)")
    for problem in problems:
        typer.echo(f"  {problem}")
    raise typer.Exit(2)


@policy_app.command("validate")
def validate_command(file: Path = POLICY_FILE) -> None:
    """Check FILE against the rules of the policy data and the versions already in the book.
    Exit 0 if valid; exit 2 listing each problem (key, clause, English / Chinese)."""
    raw = file.read_bytes()
    problems = validate(raw, _book())
    if problems:
        _refuse(file, problems)
    version = parse_version(raw, str(file))
    typer.echo(f"valid: {version.id} ({len(version.rules)} clauses, window {version.first_day} – {version.last_day})")


@policy_app.command("diff")
def diff_command(
    file: Path = POLICY_FILE,
    against: str | None = typer.Option(None, help="A version id of the book; default: the newest version."),
    language: str = typer.Option("both", help="zh, en, or both"),
) -> None:
    """What FILE changes from a version of the book, clause by clause, in Chinese and English.
    Exit 2 with the problems if FILE is not valid."""
    if language not in LANGUAGES:
        raise typer.BadParameter(f"--language must be zh, en or both, not {language!r}")
    raw = file.read_bytes()
    book = _book()
    versions = {v.id: v for v in book.versions}
    if against is not None and against not in versions:
        typer.echo(f"no version {against!r} in the book; it holds {', '.join(versions)}", err=True)
        raise typer.Exit(2)
    problems = validate(raw, book)
    if problems:
        _refuse(file, problems)
    result = diff(versions[against] if against else book.latest, parse_version(raw, str(file)))
    typer.echo("\n\n".join(render(result, one) for one in LANGUAGES[language]))


policy_app.command("whatif")(whatif_cli.whatif)
policy_app.command("matches")(matches_cli.matches)
