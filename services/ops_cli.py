"""The operators' commands: `subsidy status`, `subsidy dead-letters list|show|replay`, `subsidy asyncapi`."""

import asyncio
import contextlib
import json
import os

import typer
from rich.console import Console, JustifyMethod
from rich.table import Table

from shared.stack import SERVICES

dead_letters_app = typer.Typer(no_args_is_help=True, help="Events consumers gave up on (subsidy.dead-letters).")
EMBEDDED_BROKER = "127.0.0.1:9092"  # `make run`'s


def _bootstrap() -> str:
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS", EMBEDDED_BROKER)


def _table(title: str, *columns: tuple[str, JustifyMethod]) -> Table:
    table = Table(title=title)
    for column, justify in columns:
        table.add_column(column, justify=justify)
    return table


def status(
    host: str = typer.Option("127.0.0.1", help="where the services answer"),
    port_base: int = typer.Option(8000, help="intake's port; the others take the next ones (as `subsidy up`)"),
    admin_offset: int = typer.Option(1000, help="each operators' port is its API port + this"),
) -> None:
    """Each service's health and loops, each consumer group's lag, each outbox's backlog and the dead
    letters by type (KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL; `make run`'s servers by default)."""
    from services import status as gather
    from shared.commands import database_url

    urls = {s: f"http://{host}:{port_base + i}" for i, s in enumerate(SERVICES)}
    admin = {s: f"http://{host}:{port_base + i + admin_offset}" for i, s in enumerate(SERVICES)}

    async def collect():
        return await asyncio.gather(
            gather.health(urls, admin),
            gather.lag(_bootstrap()),
            gather.outboxes(database_url()),
            gather.dead_letters_by_type(_bootstrap()),
        )

    healths, lags, outboxes, letters = asyncio.run(collect())
    console = Console()

    table = Table(title="Services")
    for column in ("service", "health", "loops (restarts)", "url"):
        table.add_column(column)
    for h in healths:
        loops = (
            ", ".join(f"{loop['name']}{'' if loop['running'] else ' STOPPED'} ({loop['restarts']})" for loop in h.loops)
            or "-"
        )
        table.add_row(h.service, f"[{'green' if h.status == 'ok' else 'red'}]{h.status}[/]", loops, urls[h.service])
    console.print(table)

    table = _table(
        "Consumer groups (lag from the broker)",
        ("service", "left"),
        ("group", "left"),
        ("topic", "left"),
        ("behind", "right"),
        ("partitions behind", "left"),
    )
    by_group: dict[tuple, list] = {}
    for row in lags:
        by_group.setdefault((row.service, row.group, row.topic), []).append(row)
    for (service, group, topic), rows in by_group.items():
        behind = [f"{r.partition}:{r.behind}" for r in rows if r.behind]
        table.add_row(service, group, topic, str(sum(r.behind for r in rows)), " ".join(behind) or "-")
    console.print(table)

    table = _table("Outboxes", ("service", "left"), ("unpublished", "right"), ("oldest waiting", "right"))
    for o in outboxes:
        table.add_row(o.service, str(o.backlog), f"{o.oldest_s:.1f} s" if o.oldest_s is not None else "-")
    console.print(table)

    table = _table(
        "Dead letters", ("consumer", "left"), ("type", "left"), ("letters", "right"), ("not replayed", "right")
    )
    for (consumer, event_type), (total, waiting) in letters.items():
        table.add_row(consumer, event_type, str(total), f"[{'red' if waiting else 'green'}]{waiting}[/]")
    if not letters:
        table.add_row("-", "none", "0", "0")
    console.print(table)


@dead_letters_app.command("list")
def dead_letters_list(
    consumer: str = typer.Option(None, help="only this consumer group's"),
    event_type: str = typer.Option(None, "--type", help="only events of this ce_type"),
    waiting: bool = typer.Option(False, "--waiting", help="only those not replayed yet"),
) -> None:
    """The dead letters, with their id, when, which group gave up, the type and the error."""
    from shared.messaging.dead_letters import letters

    found, replayed = asyncio.run(letters(_bootstrap()))
    console = Console()
    table = Table(title="Dead letters")
    for column in ("id", "at", "consumer", "type", "from", "replayed", "error"):
        table.add_column(column, overflow="fold")
    for letter in found:
        if letter.matches(consumer, event_type, None) and not (waiting and letter.id in replayed):
            h = letter.headers
            table.add_row(
                letter.id,
                letter.at[:19],
                letter.consumer,
                letter.type,
                f"{h.get('dlt_topic')}[{h.get('dlt_partition')}]@{h.get('dlt_offset')}",
                "yes" if letter.id in replayed else "no",
                letter.error[:120],
            )
    console.print(table)


@dead_letters_app.command("show")
def dead_letters_show(letter_id: str = typer.Argument(..., help="an id from `subsidy dead-letters list`")) -> None:
    """One letter: its headers, the error and the payload."""
    from shared.messaging.dead_letters import letters

    found, replayed = asyncio.run(letters(_bootstrap()))
    letter = next((letter for letter in found if letter.id == letter_id), None)
    if letter is None:
        typer.echo(f"no dead letter {letter_id}", err=True)
        raise typer.Exit(2)
    console = Console()
    table = Table(
        title=f"Dead letter {letter.id} ({'replayed' if letter.id in replayed else 'not replayed'})", show_header=False
    )
    table.add_column("header", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in letter.headers.items():
        table.add_row(key, value)
    table.add_row("key", (letter.record.key or b"").decode(errors="replace"))
    console.print(table)
    value = (letter.record.value or b"").decode(errors="replace")
    with contextlib.suppress(ValueError):
        value = json.dumps(json.loads(value), indent=2, ensure_ascii=False)
    console.print(value, markup=False, highlight=False)


@dead_letters_app.command("replay")
def dead_letters_replay(
    consumer: str = typer.Option(None, help="only this consumer group's"),
    event_type: str = typer.Option(None, "--type", help="only events of this ce_type"),
    letter_id: list[str] = typer.Option(None, "--id", help="only these letters (repeatable)"),
    resend_unconfirmed: bool = typer.Option(
        False,
        "--resend-unconfirmed",
        help="also send again letters a replay claimed and never confirmed sending (it stopped midway), "
        "once the claim is a few minutes old",
    ),
) -> None:
    """Send the letters not replayed yet back to their topics, once their cause is fixed. Letters the
    filters leave out stay for a later replay; so do those whose event is older than the inboxes
    remember (INBOX_RETENTION_DAYS), which groups that had handled it might handle again. Acts as
    the console (its database, DATABASE_URL or `make run`'s): each letter is claimed there by its id
    first, so that a replay running at the same time (the console's, another command's) sends it once."""
    import getpass
    import socket
    from datetime import timedelta

    from services.console.replays import ReplayClaims
    from services.console.tables import metadata
    from shared import commands
    from shared.messaging.dead_letters import replay

    async def replaying():
        async with commands.wired(commands.settings("console"), metadata) as console:
            return await replay(
                _bootstrap(),
                consumer,
                event_type,
                letter_id or None,
                claims=ReplayClaims(console.sessions),
                by=f"subsidy dead-letters replay ({getpass.getuser()}@{socket.gethostname()})",
                resend_unconfirmed=resend_unconfirmed,
                inbox_retention=timedelta(days=console.settings.inbox_retention_days),
            )

    done = asyncio.run(replaying())
    for held_id, claim in done.held.items():
        what = "sent" if claim.state == "sent" else "claimed and not confirmed sent (see --resend-unconfirmed)"
        typer.echo(f"{held_id}: left alone, {what} by {claim.by} at {claim.at.isoformat(timespec='seconds')}")
    for old_id in done.too_old:
        typer.echo(f"{old_id}: left alone, its event is older than the inboxes remember (INBOX_RETENTION_DAYS)")
    typer.echo(f"replayed {len(done.sent)} event(s)")


def asyncapi() -> None:
    """Print the AsyncAPI 3 document of every event (generated from the payload models)."""
    from shared.asyncapi import document

    typer.echo(json.dumps(document(), indent=2, ensure_ascii=False))
