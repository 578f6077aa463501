"""`subsidy evaluate`: decide applications as eligibility would, storing nothing."""

import sys

import typer

from shared.bootstrap import bootstrap
from shared.settings import Settings


def evaluate(file: str = typer.Argument("-", help="An application JSON (or array); - for stdin.")) -> None:
    """Decide applications without storing anything: one JSON decision per line.
    Exit 2 with a message naming the field for bad input."""
    from shared.policy.cli import evaluate_main

    core = bootstrap(Settings(service_name="eligibility"))
    stream = sys.stdin if file == "-" else open(file, encoding="utf-8")
    raise typer.Exit(evaluate_main(core.policy.book, stream, sys.stdout, sys.stderr))
