"""`subsidy`: run the system, one service, its migrations, or a dry-run evaluation."""

import asyncio
import signal
import sys
from pathlib import Path

import typer

from shared.stack import SERVICES, Infrastructure, run_prepare, start_services

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Chengdu blockchain-pilot subsidy system.")

DEFAULT_PORTS = {name: 8000 + i for i, name in enumerate(SERVICES)}


@app.command()
def up(data_dir: Path = typer.Option(Path(".data"), help="Where the embedded servers keep their data."),
       broker_port: int = typer.Option(9092, help="Port of the embedded broker.")) -> None:
    """Start everything: PostgreSQL and the broker (embedded unless DATABASE_URL /
    KAFKA_BOOTSTRAP_SERVERS are set), topics, migrations and the five services. Ctrl-C stops it all."""
    infra = Infrastructure.start(data_dir, broker_port=broker_port)
    procs = {}
    try:
        run_prepare(infra)
        procs = start_services(infra, data_dir / "logs", DEFAULT_PORTS)
        typer.echo(f"PostgreSQL  {infra.database_url}\nKafka       {infra.kafka_bootstrap_servers}")
        for name, proc in procs.items():
            typer.echo(f"{name:<12}{proc.url}   (log: {proc.log_path})")
        typer.echo(f"\nAPI docs    {procs['intake'].url}/docs\nCtrl-C stops everything.")
        _wait_for_signal(procs)
    finally:
        for proc in procs.values():
            proc.stop()
        infra.stop()
        typer.echo("stopped.")


def _wait_for_signal(procs) -> None:
    stop = asyncio.Event()

    async def watch():
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        while not stop.is_set():
            for name, proc in procs.items():
                if proc.process.poll() is not None:
                    typer.echo(f"{name} exited with {proc.process.returncode}; see {proc.log_path}", err=True)
                    return
            try:
                await asyncio.wait_for(stop.wait(), 1)
            except TimeoutError:
                pass
    asyncio.run(watch())


@app.command()
def serve(service: str = typer.Argument(..., help=" | ".join(SERVICES))) -> None:
    """Run one service in this process (its HTTP port is HTTP_PORT)."""
    if service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    from shared.serve import serve as run
    run(service)


@app.command()
def migrate() -> None:
    """Create the topics and bring every service's schema up to date (DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS)."""
    from shared.settings import Settings
    settings = Settings()
    infra = Infrastructure(settings.database_url.get_secret_value(), settings.kafka_bootstrap_servers)
    run_prepare(infra)


@app.command()
def makemigration(service: str, message: str) -> None:
    """Autogenerate a migration for SERVICE from its tables (DATABASE_URL)."""
    from shared import migrations
    from shared.settings import Settings
    asyncio.run(migrations.new_revision(service, service, Settings(kafka_bootstrap_servers="-").sqlalchemy_url, message))


@app.command()
def evaluate(file: str = typer.Argument("-", help="An application JSON (or array); - for stdin.")) -> None:
    """Decide applications without storing anything: one JSON decision per line.
    Exit 2 with a message naming the field for bad input."""
    from shared.policy.cli import evaluate_main
    stream = sys.stdin if file == "-" else open(file, encoding="utf-8")
    raise typer.Exit(evaluate_main(stream, sys.stdout, sys.stderr))


if __name__ == "__main__":
    app()
