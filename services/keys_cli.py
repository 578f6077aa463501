"""`subsidy keys rotate|reseal|show`: the ledger's keys (LEDGER_KEYS) and the secrets key (SECRETS_KEY).

Rotation adds a key and keeps the old ones: the first key of each list signs or seals, every one
verifies or opens. Ledger rows and heads name the key they were made with, so the old ledger key
stays listed for as long as the ledger lasts. Once every service runs with the new list, `reseal`
has the services that keep sealed secrets (notify's webhook secrets, the console's accounts' keys)
reseal them with the new key, each in its own schema through its own code; the old secrets key may
be dropped once nothing sealed with it remains (events still retained in outboxes or on the broker
carry secrets sealed with it).

On a local stack (`make run`) the keys live in its data directory (`ledger.key` and, once rotated,
`ledger.keys`; `secrets.key`), and `rotate` writes them there. A deployment keeps its keys in its
secrets store: set the lists there (LEDGER_KEYS=`new-id:new-key,old-id:old-key`, SECRETS_KEY=`new,old`),
restart the services, and run `subsidy keys reseal`.
"""

import asyncio
import os
from pathlib import Path

import typer

from shared.commands import DATA_DIR

keys_app = typer.Typer(no_args_is_help=True, help="Rotate the ledger's keys and the secrets key.")
WHICH = ("ledger", "secrets", "all")


def _write_private(path: Path, text: str) -> None:
    """Replaces the file at once (write, then rename), readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = path.with_name(path.name + ".new")
    fresh.unlink(missing_ok=True)
    with os.fdopen(os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
        f.write(text + "\n")
    fresh.replace(path)


def local_ledger_ring(data_dir: Path):
    from services.payout.cli import local_key_file
    from services.payout.domain.keys import parse

    return parse(local_key_file("ledger.keys", data_dir), local_key_file("ledger.key", data_dir))


def rotate_ledger(data_dir: Path) -> str:
    """Puts a new ledger key first in `ledger.keys` (the old ones kept); its id."""
    from services.payout.domain.keys import KeyRing, LedgerKey, derived_id, render
    from shared.secretbox import new_key

    if not (data_dir / "ledger.key").exists() and not (data_dir / "ledger.keys").exists():
        raise typer.BadParameter(f"{data_dir} holds no ledger key: start the stack once (`make run`) first")
    ring = local_ledger_ring(data_dir)
    secret = new_key().encode()
    rotated = KeyRing((LedgerKey(derived_id(secret), secret), *ring.keys))
    _write_private(data_dir / "ledger.keys", render(rotated))
    return rotated.signing.id


def rotate_secrets(data_dir: Path) -> str:
    """Puts a new secrets key first in `secrets.key` (the old ones kept); the new list."""
    from shared.secretbox import new_key, parse_keys

    path = data_dir / "secrets.key"
    if not path.exists():
        raise typer.BadParameter(f"{data_dir} holds no secrets key: start the stack once (`make run`) first")
    keys = path.read_text().strip()
    parse_keys(keys)  # a malformed file is refused before anything is written
    rotated = f"{new_key()},{keys}"
    _write_private(path, rotated)
    return rotated


async def reseal_all(keys: str, database_url: str | None = None) -> dict[str, int]:
    """Every sealed secret the services keep, resealed with the first of `keys`, service by service."""
    from services.console import accounts
    from services.console.settings import ConsoleSettings
    from services.console.tables import metadata as console_tables
    from services.notify import partners
    from services.notify.tables import metadata as notify_tables
    from shared import commands
    from shared.secretbox import SecretBox
    from shared.settings import Settings

    box = SecretBox(keys)
    done = {}
    for service, kind, tables, reseal in (
        ("notify", Settings, notify_tables, partners.reseal),
        ("console", ConsoleSettings, console_tables, accounts.reseal),
    ):
        async with commands.wired(commands.settings(service, kind, database_url), tables) as wiring:
            done[service] = await commands.in_transaction(wiring, reseal, box)
    return done


def _secrets_keys(data_dir: Path) -> str:
    keys = os.environ.get("SECRETS_KEY") or (
        (data_dir / "secrets.key").read_text().strip() if "DATABASE_URL" not in os.environ else ""
    )
    if not keys:
        raise typer.BadParameter("set SECRETS_KEY (the new key first, the old ones after it)")
    return keys


def _report_resealed(done: dict[str, int], first_id: str) -> None:
    typer.echo(
        f"resealed with secrets key {first_id}: " + ", ".join(f"{service} {n} secret(s)" for service, n in done.items())
    )


@keys_app.command("rotate")
def rotate(
    which: str = typer.Argument("all", help=" | ".join(WHICH)),
    data_dir: Path = typer.Option(DATA_DIR, help="the local stack's data directory"),
) -> None:
    """On a local stack: add a new ledger key and/or secrets key (first, the old ones kept). Restart the
    stack afterwards so that the services sign and seal with the new keys (until then they use the old
    ones, which stay valid), then reseal the kept secrets with `subsidy keys reseal`."""
    from shared.secretbox import SecretBox

    if which not in WHICH:
        raise typer.BadParameter(f"which: one of {', '.join(WHICH)}")
    if "DATABASE_URL" in os.environ:
        raise typer.BadParameter(
            "a deployment keeps its keys in its secrets store: put the new key first in LEDGER_KEYS "
            "(`id:key,…`) or SECRETS_KEY there, restart the services, then run `subsidy keys reseal`"
        )
    if which in ("ledger", "all"):
        typer.echo(f"ledger key {rotate_ledger(data_dir)} added, first in {data_dir / 'ledger.keys'}")
    if which in ("secrets", "all"):
        keys = rotate_secrets(data_dir)
        typer.echo(f"secrets key {SecretBox(keys).ids[0]} added, first in {data_dir / 'secrets.key'}")
    typer.echo("restart the stack (Ctrl-C, then `make run`) so that the services take the new keys")
    if which in ("secrets", "all"):
        # Not before: a service still running with the old list alone could not open what was resealed.
        typer.echo("then `subsidy keys reseal` reseals the secrets the services keep with the new secrets key")


@keys_app.command("reseal")
def reseal(data_dir: Path = typer.Option(DATA_DIR, help="the local stack's data directory")) -> None:
    """Reseal every secret the services keep with the first SECRETS_KEY (after it was rotated)."""
    from shared.secretbox import SecretBox

    keys = _secrets_keys(data_dir)
    _report_resealed(asyncio.run(reseal_all(keys)), SecretBox(keys).ids[0])


@keys_app.command("show")
def show(data_dir: Path = typer.Option(DATA_DIR, help="the local stack's data directory")) -> None:
    """The ids of the keys in force (never the keys): the ledger's and the secrets key's, signing first."""
    from services.payout.cli import ledger_keys
    from services.payout.domain.keys import parse
    from shared.secretbox import SecretBox

    given = ledger_keys(data_dir)
    typer.echo("ledger keys:  " + ", ".join(parse(given.get("ledger_keys"), given.get("ledger_key")).ids))
    typer.echo("secrets keys: " + ", ".join(SecretBox(_secrets_keys(data_dir)).ids))
