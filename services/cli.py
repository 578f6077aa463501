"""`subsidy`: run the system, one service, its migrations, or a dry-run evaluation."""

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer

from services import keys_cli, ops_cli
from services.console import cli as console_cli
from services.demo import cli as demo_cli
from services.eligibility import cli as eligibility_cli
from services.eligibility import versions_cli
from services.intake import cli as intake_cli
from services.notify import cli as notify_cli
from services.payout import cli as payout_cli
from services.quota import cli as quota_cli
from shared import commands
from shared.commands import DATA_DIR
from shared.stack import (
    PRODUCT,
    SERVICES,
    Infrastructure,
    MailSink,
    Supervisor,
    free_port,
    republish_outboxes,
    run_prepare,
    start_services,
    stop_all,
)

# No local variables in tracebacks: they would print database URLs and keys.
app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    help="Chengdu blockchain-pilot subsidy system.",
)
app.add_typer(intake_cli.app, name="partners")
app.add_typer(quota_cli.app, name="rounds")
app.add_typer(notify_cli.app, name="webhooks")
app.add_typer(payout_cli.budgets_app, name="budgets")
app.add_typer(payout_cli.ledger_app, name="ledger")
# Officials' keys come from intake: the console is handed intake's key issuer, never reaches for it.
app.add_typer(console_cli.commands(intake_cli.PartnerKeys()), name="console")
app.add_typer(ops_cli.dead_letters_app, name="dead-letters")
app.add_typer(keys_cli.keys_app, name="keys")
app.command()(ops_cli.status)
app.command()(ops_cli.asyncapi)
# …and so are the demo's people, on the stack's database the demo names.
app.command("demo")(demo_cli.command(intake_cli.PartnerKeys))
app.command()(eligibility_cli.evaluate)
# One group for the policy's versions: a file checked (validate, diff, whatif), then drafted, approved
# by a second official and withdrawn (versions_cli) on eligibility's database.
versions_cli.install(eligibility_cli.policy_app)
app.add_typer(
    eligibility_cli.policy_app,
    name="policy",
    help="Policy versions: check a file (validate, diff, whatif); draft, approve, withdraw and list them.",
)
outbox_app = typer.Typer(no_args_is_help=True, help="The services' transactional outboxes.")
app.add_typer(outbox_app, name="outbox")


@app.command()
def up(
    data_dir: Path = typer.Option(DATA_DIR, help="Where the embedded servers keep their data."),
    broker_port: int = typer.Option(9092, help="Port of the embedded broker."),
    port_base: int = typer.Option(8000, help="intake's port; the other services take the next ones."),
    finance_sim: bool = typer.Option(
        os.environ.get("FINANCE_SIM", "true").lower() not in ("0", "false", "no", "off"),
        help="Run the finance-system stand-in (env FINANCE_SIM, default on).",
    ),
) -> None:
    """Start everything: PostgreSQL and the broker (embedded unless DATABASE_URL /
    KAFKA_BOOTSTRAP_SERVERS are set), topics, migrations and the services (with a stand-in for the
    city's finance system unless turned off), and keep them running: a service that exits is
    restarted. Ctrl-C stops it all."""
    from shared.secretbox import development_key
    from shared.settings import Settings

    infra = Infrastructure.start(data_dir, broker_port=broker_port)
    if "DATABASE_URL" not in os.environ:
        # A local stack: its secrets key is kept in its data (made on the first run), and webhooks
        # may reach receivers on this machine. Either may be set otherwise from the environment.
        os.environ.setdefault("SECRETS_KEY", development_key(data_dir / "secrets.key"))
        os.environ.setdefault("WEBHOOK_ALLOW_PRIVATE_TARGETS", "true")
        # …and its ledger is keyed with a key kept beside its data, made on the first run too, and
        # with the keys `subsidy keys rotate` added (the newest first), once it has.
        os.environ.setdefault("LEDGER_KEY", development_key(data_dir / "ledger.key"))
        if (rotated := data_dir / "ledger.keys").exists():
            os.environ.setdefault("LEDGER_KEYS", rotated.read_text().strip())
        # quota keeps the system's time until `subsidy demo` writes this file (shared/clock.py).
        os.environ.setdefault("QUOTA_CLOCK_FILE", str((data_dir / "quota-clock").resolve()))
    if not (os.environ.get("LEDGER_KEY") or os.environ.get("LEDGER_KEYS")):
        infra.stop()
        raise typer.BadParameter(
            "set LEDGER_KEY (or LEDGER_KEYS): payout keys its ledger with it and refuses to start without it"
        )
    procs = {}
    sink = None
    if "SMTP_HOST" not in os.environ:
        # No mail server named: applicants' mail goes to a local sink, kept as files to read.
        sink = MailSink(free_port(), (data_dir / "mail").resolve(), data_dir / "logs" / "mail-sink.log").start()
        os.environ.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(sink.port), SMTP_SECURITY="none")
    try:
        run_prepare(infra)
        settings = Settings(database_url=infra.database_url, kafka_bootstrap_servers=infra.kafka_bootstrap_servers)
        retention = timedelta(days=settings.outbox_retention_days)
        if infra.embedded_broker:  # a fresh broker holds nothing: give it what the outboxes kept
            counts = asyncio.run(republish_outboxes(infra.database_url, datetime.now(UTC) - retention))
            if total := sum(counts.values()):
                typer.echo(f"re-publishing {total} retained event(s) to the new broker")
        ports = {name: port_base + i for i, name in enumerate(SERVICES)}
        names = SERVICES if finance_sim else PRODUCT
        procs = start_services(infra.env(), data_dir / "logs", ports, names)
        typer.echo(f"PostgreSQL  {infra.database_url}\nKafka       {infra.kafka_bootstrap_servers}")
        for name, proc in procs.items():
            typer.echo(f"{name:<12}{proc.url}   (log: {proc.log_path})")
        if sink:
            procs["mail-sink"] = sink  # supervised like the services
            typer.echo(
                f"mail        {sink.maildir}/new/   (one file per message sent; SMTP sink on 127.0.0.1:{sink.port})"
            )
        typer.echo(f"\nAPI docs    {procs['intake'].url}/docs")
        if "DATABASE_URL" not in os.environ:  # a local stack: hand the developer a key to try it with
            typer.echo(f"demo key    {asyncio.run(intake_cli.demo_key(infra.database_url))}  (partner 'demo')")
            for name, role, password in asyncio.run(
                console_cli.demo_accounts(
                    infra.database_url, intake_cli.PartnerKeys(infra.database_url), console_cli.secret_box(data_dir)
                )
            ):
                typer.echo(f"console     {name} / {password}  ({role}; a new password each run)")
            year, made = asyncio.run(payout_cli.demo_budgets(infra.database_url))
            if made:
                typer.echo(
                    f"budgets     {payout_cli.DEMO_BUDGET:,.2f} yuan for each clause of {year} ({made} line(s) set; "
                    "`subsidy budgets set` changes them)"
                )
        typer.echo("Ctrl-C stops everything.")
        supervisor = Supervisor(
            infra,
            procs,
            retention=retention,
            run_dir=data_dir / "run",
            say=lambda line: typer.echo(f"[{datetime.now():%H:%M:%S}] {line}", err=True),
        )
        _run_until_signal(supervisor)
    finally:
        stop_all([*procs.values(), *([sink] if sink else [])])
        infra.stop()
        typer.echo("stopped.")


def _run_until_signal(supervisor: Supervisor) -> None:
    async def watch():
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await supervisor.run(stop)

    asyncio.run(watch())


@app.command("finance-sim")
def finance_sim_command() -> None:
    """Run the finance-system stand-in in this process: it answers payout batches after
    FINANCE_SIM_DELAY_S, rejecting FINANCE_SIM_REJECT_RATE of them (HTTP_PORT for its health)."""
    from shared.serve import serve as run

    run("finance_sim")


@app.command()
def serve(service: str = typer.Argument(..., help=" | ".join(SERVICES))) -> None:
    """Run one service in this process (its HTTP port is HTTP_PORT)."""
    if service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    # This process has imported the metrics library already; a fresh one can set up its
    # multi-process metrics before anything imports it (see shared/serve.py).
    os.execv(sys.executable, [sys.executable, "-m", f"services.{service}"])


@app.command()
def migrate() -> None:
    """Create the topics and bring every service's schema up to date (DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS)."""
    from shared.settings import Settings

    settings = Settings()
    if settings.database_url is None or not settings.kafka_bootstrap_servers:
        raise typer.BadParameter("set DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS: migrate prepares those servers")
    infra = Infrastructure(settings.database_url.get_secret_value(), settings.kafka_bootstrap_servers)
    run_prepare(infra)


@app.command()
def makemigration(service: str, message: str) -> None:
    """Autogenerate a migration for SERVICE from its tables (DATABASE_URL)."""
    from shared import migrations
    from shared.settings import Settings

    asyncio.run(migrations.new_revision(service, service, Settings().sqlalchemy_url, message))


@outbox_app.command("republish")
def outbox_republish(
    since: str = typer.Option(
        ..., help="ISO 8601 time with offset (2024-03-01T00:00:00+08:00); events created since then go out again."
    ),
    service: list[str] = typer.Option(list(SERVICES), help="only this service's outbox (repeatable)"),
) -> None:
    """Publish again, in order, every event the outboxes still hold since SINCE: for a broker that lost
    them (DATABASE_URL). Consumers skip what they had handled already. Events older than the
    retention (OUTBOX_RETENTION_DAYS) are gone."""

    unknown = set(service) - set(SERVICES)
    if unknown:
        raise typer.BadParameter(f"unknown service {', '.join(sorted(unknown))}; one of {', '.join(SERVICES)}")
    try:
        moment = datetime.fromisoformat(since)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise typer.BadParameter("--since needs an ISO 8601 time with offset, e.g. 2024-03-01T00:00:00+08:00")
    url = commands.database_url()
    for name, count in asyncio.run(republish_outboxes(url, moment, tuple(service))).items():
        typer.echo(f"{name:<12}{count} event(s) to publish again")


def main() -> None:
    """`subsidy`: a server that cannot be reached is one line naming it, not a traceback."""
    from shared.messaging.faults import describe, is_transient

    try:
        app()
    except Exception as error:
        if not is_transient(error):
            raise
        typer.echo(
            f"cannot reach the database or the broker (DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS; "
            f"`make run`'s by default): {describe(error)}",
            err=True,
        )
        sys.exit(3)


if __name__ == "__main__":
    main()
