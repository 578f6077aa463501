"""`subsidy webhooks`: the delivery log and replay across partners, on notify's database; the running
notify service sends what they make due."""

import asyncio
import uuid
from datetime import datetime

import typer

from shared import commands

app = typer.Typer(no_args_is_help=True, help="Webhook deliveries of every partner (the notify service's database).")


def _notify_op(operation):
    """Runs `operation(session)` in one transaction of notify's schema, as the notify service."""
    from services.notify.tables import metadata

    async def go():
        async with commands.wired(commands.settings("notify"), metadata) as wiring:
            return await commands.in_transaction(wiring, operation)

    return asyncio.run(go())


def _show_delivery(d: dict) -> None:
    when = d["next_attempt_at"] or d["delivered_at"]
    typer.echo(
        f"{d['id']}  {d['partner_id']:<16} {d['application_status'] or d['type']:<17} {d['status']:<9} "
        f"attempts {d['attempts']:<2} last {d['last_status_code'] or '-':<4} "
        f"{'next' if d['next_attempt_at'] else 'at'} {when.isoformat() if when else '-'}"
        + (f"  ({d['last_error']})" if d["last_error"] and d["status"] != "delivered" else "")
    )


@app.command("deliveries")
def webhooks_deliveries(
    partner: str = typer.Option(None, help="only this partner's"),
    status: str = typer.Option(None, help="pending | delivered | failed"),
    limit: int = typer.Option(50, min=1, max=1000),
) -> None:
    """The newest deliveries: state, attempts, the endpoint's last answer, the next attempt."""
    from services.notify import log

    if status and status not in log.DELIVERY_STATUSES:
        raise typer.BadParameter(f"status: one of {', '.join(log.DELIVERY_STATUSES)}")
    items, _ = _notify_op(lambda s: log.deliveries(s, partner_id=partner, status=status, limit=limit))
    for d in items:
        _show_delivery(d)


@app.command("retry")
def webhooks_retry(
    delivery_id: str = typer.Argument(None, help="one delivery; or --failed"),
    failed: bool = typer.Option(False, "--failed", help="every failed delivery (of --partner)"),
    partner: str = typer.Option(None, help="with --failed: only this partner's"),
    since: str = typer.Option(None, help="with --failed: created since (ISO 8601 with offset)"),
) -> None:
    """Send a delivery again now, as it was (same body and webhook-id), or every failed one; endpoints
    disabled by a 410 are left alone until their partner registers again (exit 2 for one)."""
    from services.notify import log

    if failed == bool(delivery_id):
        raise typer.BadParameter("give a delivery id, or --failed")
    if failed:
        moment = datetime.fromisoformat(since) if since else None
        count = _notify_op(lambda s: log.retry_all(s, partner_id=partner, since=moment))
        typer.echo(f"{count} failed deliver{'y' if count == 1 else 'ies'} to send again")
        return
    try:
        wanted = uuid.UUID(delivery_id)
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
