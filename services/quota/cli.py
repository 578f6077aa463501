"""`subsidy rounds`: the same operations as the quota API's admin routes, run against its database;
the events they owe go into quota's outbox, which the running quota service publishes."""

import os
from decimal import Decimal

import typer

from shared import commands

app = typer.Typer(no_args_is_help=True, help="Annual selection rounds (the quota service's database).")


def _round_op(operation):
    """Runs `operation(session, ctx)` in one transaction of quota's schema, as the quota service
    would (its clock included); rule refusals exit 2."""
    from services.quota.context import Context
    from services.quota.settings import QuotaSettings
    from services.quota.tables import metadata

    async def go():
        async with commands.wired(commands.settings("quota", QuotaSettings), metadata) as wiring:
            ctx = Context(wiring.clock, wiring.publisher, wiring.policy)
            return await commands.in_transaction(wiring, operation, ctx)

    return commands.run(go())


def _show_round(view: dict) -> None:
    typer.echo(
        f"{view['clause']} {view['year']}: {view['state']}  quota {view['quota']}  "
        f"deadline {view['deadline'].isoformat()}  min_reviews {view['min_reviews']}  "
        f"min_score {view['min_score']}  notice {view['notice_working_days']} working days"
    )
    typer.echo(f"  panel: {', '.join(view['panel']) or '-'}   candidates: {view['candidates']}")
    for n in view["notices"]:
        typer.echo(f"  notice ({n['kind']}): {n['published_on']} – {n['ends_on']}")


@app.command("create")
def rounds_create(
    clause: str,
    year: int,
    deadline: str = typer.Option(..., help="ISO 8601 with offset, e.g. 2024-09-20T17:00:00+08:00"),
    min_reviews: int = typer.Option(3, help="submitted, non-recused reviews each candidate needs"),
    min_score: Decimal = typer.Option(Decimal(60), help="nobody below this is selected"),
    notice_days: int = typer.Option(None, help="working days of public notice (default: policy's)"),
    quota: int = typer.Option(None, help="at most the policy's quota (default)"),
    by: str = typer.Option(os.environ.get("USER", "operator"), help="who opens it"),
) -> None:
    """Open the round of a selection clause for a year."""
    from datetime import datetime

    from services.quota import read, rounds

    try:
        when = datetime.fromisoformat(deadline)
    except ValueError:
        raise typer.BadParameter("deadline: ISO 8601, e.g. 2024-09-20T17:00:00+08:00") from None
    if when.tzinfo is None:
        raise typer.BadParameter("deadline: give an offset, e.g. +08:00")

    async def op(session, ctx):
        row = await rounds.create(
            session,
            ctx,
            by=by,
            clause=clause,
            year=year,
            deadline=when,
            min_reviews=min_reviews,
            min_score=min_score,
            notice_working_days=notice_days,
            quota=quota,
        )
        return await read.round_view(session, row)

    _show_round(_round_op(op))


@app.command("list")
def rounds_list() -> None:
    """Every round and its state."""
    from services.quota import read

    async def op(session, ctx):
        return await read.all_rounds(session)

    for view in _round_op(op):
        _show_round(view)


@app.command("show")
def rounds_show(clause: str, year: int) -> None:
    """One round: its parameters, panel, notices and history."""
    from services.quota import read

    async def op(session, ctx):
        return await read.one_round(session, clause, year)

    view = _round_op(op)
    _show_round(view)
    for h in view["history"]:
        typer.echo(f"  {h['at'].isoformat()}  {h['previous'] or '-'} → {h['state']}  by {h['by']}: {h['reason']}")


@app.command("advance")
def rounds_advance(
    clause: str,
    year: int,
    state: str = typer.Argument(..., help="closed | in_review | ranked | in_notice | concluded"),
    reason: str = typer.Option("", help="recorded with the transition"),
    by: str = typer.Option(os.environ.get("USER", "operator")),
) -> None:
    """Move a round to its next state; anything else is refused with the reason (exit 2)."""
    from services.quota import read, rounds
    from services.quota.domain.lifecycle import State

    try:
        target = State(state)
    except ValueError:
        raise typer.BadParameter(f"state: one of {', '.join(s.value for s in State)}") from None

    async def op(session, ctx):
        row = await rounds.transition(session, ctx, clause, year, target, by=by, reason=reason)
        return await read.round_view(session, row)

    _show_round(_round_op(op))


@app.command("assign")
def rounds_assign(
    clause: str, year: int, reviewer: str, by: str = typer.Option(os.environ.get("USER", "operator"))
) -> None:
    """Put a reviewer (a partner with a reviewer key) on the round's panel."""
    from services.quota import panel

    async def op(session, ctx):
        return await panel.assign(session, ctx, clause, year, reviewer, by=by)

    member = _round_op(op)
    typer.echo(f"{member.reviewer_id} is on the panel (assigned by {member.assigned_by})")
