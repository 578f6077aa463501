"""`subsidy keys rotate` on a local stack: a new key goes first in the data directory's key files, the
old ones stay (so whatever they made still verifies or opens), readable by their owner only."""

import stat

import pytest
from typer.testing import CliRunner

from services.cli import app
from services.payout.domain.keys import derived_id, parse
from shared.secretbox import SecretBox, key_id, new_key

SECRET = "whsec_s3cret-of-the-portal"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "LEDGER_KEY", "LEDGER_KEYS", "SECRETS_KEY"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "ledger.key").write_text("the-first-ledger-key-of-this-stack\n")
    (tmp_path / "secrets.key").write_text(new_key() + "\n")
    return tmp_path


def keys(*args: str):
    result = CliRunner().invoke(app, ["keys", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_rotating_the_ledger_key_puts_a_new_one_first_and_keeps_the_old_one(data_dir):
    old_id = derived_id(b"the-first-ledger-key-of-this-stack")
    said = keys("rotate", "ledger", "--data-dir", str(data_dir))
    ring = parse((data_dir / "ledger.keys").read_text().strip(), None)
    assert ring.ids[1:] == (old_id,) and ring.ids[0] != old_id
    assert f"ledger key {ring.ids[0]} added" in said and "restart" in said
    assert stat.S_IMODE((data_dir / "ledger.keys").stat().st_mode) == 0o600
    keys("rotate", "ledger", "--data-dir", str(data_dir))  # again: three keys, the newest first
    assert parse((data_dir / "ledger.keys").read_text().strip(), None).ids[1:] == ring.ids
    shown = keys("show", "--data-dir", str(data_dir))
    assert "the-first-ledger-key" not in shown and old_id in shown


def test_rotating_the_secrets_key_puts_a_new_one_first_and_what_the_old_one_sealed_still_opens(data_dir):
    old = (data_dir / "secrets.key").read_text().strip()
    sealed = SecretBox(old).seal(SECRET)
    said = keys("rotate", "secrets", "--data-dir", str(data_dir))
    rotated = (data_dir / "secrets.key").read_text().strip()
    new, kept = rotated.split(",")
    assert kept == old and SecretBox(rotated).open(sealed) == SECRET
    assert SecretBox(rotated).ids[0] == key_id(new) and f"secrets key {key_id(new)} added" in said
    assert "subsidy keys reseal" in said  # not before the services run with the new list


def test_a_deployment_is_told_to_rotate_in_its_secrets_store(data_dir, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/subsidy")
    result = CliRunner().invoke(app, ["keys", "rotate", "--data-dir", str(data_dir)])
    assert result.exit_code != 0 and "LEDGER_KEYS" in result.output
    assert not (data_dir / "ledger.keys").exists()
